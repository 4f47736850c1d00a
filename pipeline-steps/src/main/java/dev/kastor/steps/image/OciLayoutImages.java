package dev.kastor.steps.image;

import dev.kastor.oci.Causes;
import dev.kastor.oci.Descriptor;
import dev.kastor.oci.Digest;
import dev.kastor.oci.InvalidInputException;
import dev.kastor.oci.MediaTypes;
import dev.kastor.oci.layout.OciLayout;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Bridges OCI image layouts and jib, which reads base images from registries or Docker-format tars and writes
 * tars: a layout (or an OCI-format tar) becomes a Docker-format tar for the base, and jib's OCI tar output is
 * imported into a layout directory, next to what the directory already holds.
 */
final class OciLayoutImages {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Pattern BLOB = Pattern.compile("blobs/sha256/([0-9a-f]{64})");

    private OciLayoutImages() {}

    /** True when the tar is in {@code docker save} format (it has {@code manifest.json} at its root). */
    static boolean isDockerTar(Path tar) {
        try (var in = new TarArchiveInputStream(Files.newInputStream(tar))) {
            TarArchiveEntry e;
            boolean oci = false;
            while ((e = in.getNextEntry()) != null) {
                String name = strip(e.getName());
                if (name.equals("manifest.json")) return true;
                if (name.equals("index.json")) oci = true;
            }
            if (!oci) throw new InvalidInputException("base image tar " + tar + " has neither manifest.json (docker save) nor index.json (OCI layout)");
            return false;
        } catch (IOException e) {
            throw new InvalidInputException("base image tar " + tar + " cannot be read: " + Causes.describe(e), e);
        }
    }

    /** Unpacks an OCI-layout tar into {@code dir} (only the layout's own files; anything else is ignored). */
    static Path extractOciTar(Path tar, Path dir) {
        try (var in = new TarArchiveInputStream(Files.newInputStream(tar))) {
            Files.createDirectories(dir.resolve("blobs/sha256"));
            TarArchiveEntry e;
            while ((e = in.getNextEntry()) != null) {
                String name = strip(e.getName());
                if (!e.isFile()) continue;
                if (name.equals("index.json") || name.equals("oci-layout") || BLOB.matcher(name).matches()) {
                    Files.copy(in, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            return dir;
        } catch (IOException e) {
            throw new InvalidInputException("image tar " + tar + " cannot be read: " + Causes.describe(e), e);
        }
    }

    /**
     * Writes the image {@code tag} of the layout (the only one when {@code tag} is null) as a Docker-format tar jib
     * can use as a base. An index is resolved to the manifest of {@code platform} ({@code os/arch}).
     */
    static Path toDockerTar(Path layoutDir, String tag, String platform, Path out) {
        if (!Files.isDirectory(layoutDir)) throw new InvalidInputException("base OCI layout " + layoutDir + " does not exist");
        OciLayout layout = OciLayout.open(layoutDir);
        Descriptor d;
        if (tag == null) {
            List<String> tags = layout.tags();
            if (tags.size() != 1) {
                throw new InvalidInputException("base OCI layout " + layoutDir + " holds " + (tags.isEmpty() ? "no tagged image" : "tags " + tags)
                        + ": name one, e.g. oci-layout:" + layoutDir + ":" + (tags.isEmpty() ? "TAG" : tags.get(0)));
            }
            tag = tags.get(0);
        }
        String wanted = tag;
        d = layout.resolve(tag).orElseThrow(() -> new InvalidInputException("base OCI layout " + layoutDir + " has no tag '" + wanted
                + "' (it has " + layout.tags() + ")"));
        JsonNode manifest = read(layout, d.digest());
        if (d.mediaType().equals(MediaTypes.OCI_INDEX) || d.mediaType().equals(MediaTypes.DOCKER_MANIFEST_LIST)) {
            manifest = pickPlatform(layout, manifest, platform == null ? "linux/amd64" : platform, layoutDir + ":" + tag);
        }
        try (var tar = new TarArchiveOutputStream(Files.newOutputStream(out))) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            Digest config = Digest.parse(manifest.path("config").path("digest").asString());
            add(tar, config.hex() + ".json", layout.blobPath(config));
            ArrayNode layers = JSON.createArrayNode();
            for (JsonNode l : manifest.path("layers")) {
                Digest ld = Digest.parse(l.path("digest").asString());
                String name = ld.hex() + (l.path("mediaType").asString("").contains("gzip") ? ".tar.gz" : ".tar");
                add(tar, name, layout.blobPath(ld));
                layers.add(name);
            }
            ObjectNode entry = JSON.createObjectNode();
            entry.put("Config", config.hex() + ".json");
            entry.putArray("RepoTags").add("base:" + tag);
            entry.set("Layers", layers);
            byte[] manifestJson = JSON.writeValueAsBytes(JSON.createArrayNode().add(entry));
            var me = new TarArchiveEntry("manifest.json");
            me.setSize(manifestJson.length);
            tar.putArchiveEntry(me);
            tar.write(manifestJson);
            tar.closeArchiveEntry();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare base image from " + layoutDir + ": " + Causes.describe(e), e);
        }
        return out;
    }

    /** Adds the image in jib's OCI tar output to the layout directory under {@code tag}; returns its manifest. */
    static Descriptor importOciTar(Path ociTar, Path layoutDir, String tag) {
        OciLayout layout = OciLayout.createOrOpen(layoutDir);
        byte[] index = null;
        try (var in = new TarArchiveInputStream(Files.newInputStream(ociTar))) {
            TarArchiveEntry e;
            while ((e = in.getNextEntry()) != null) {
                String name = strip(e.getName());
                var m = BLOB.matcher(name);
                if (m.matches()) {
                    Path tmp = layout.scratchFile();
                    Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                    layout.moveBlob(Digest.parse("sha256:" + m.group(1)), tmp);
                } else if (name.equals("index.json")) {
                    index = in.readAllBytes();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write OCI layout " + layoutDir + ": " + Causes.describe(e), e);
        }
        if (index == null) throw new IllegalStateException("jib's OCI tar has no index.json");
        JsonNode m = JSON.readTree(new String(index, StandardCharsets.UTF_8)).path("manifests").get(0);
        var d = new Descriptor(m.path("mediaType").asString(MediaTypes.OCI_MANIFEST), Digest.parse(m.path("digest").asString()), m.path("size").asLong());
        layout.tag(tag, d);
        return d;
    }

    static void tagLayout(Path layoutDir, String tag, Descriptor d) {
        OciLayout.createOrOpen(layoutDir).tag(tag, d);
    }

    private static JsonNode pickPlatform(OciLayout layout, JsonNode index, String platform, String where) {
        var seen = new ArrayList<String>();
        for (JsonNode m : index.path("manifests")) {
            String p = m.path("platform").path("os").asString("") + "/" + m.path("platform").path("architecture").asString("");
            seen.add(p);
            if (p.equals(platform)) return read(layout, Digest.parse(m.path("digest").asString()));
        }
        throw new InvalidInputException("base " + where + " has no image for platform " + platform + " (it has " + seen + ")");
    }

    private static JsonNode read(OciLayout layout, Digest d) {
        return JSON.readTree(new String(layout.readBlob(d), StandardCharsets.UTF_8));
    }

    private static void add(TarArchiveOutputStream tar, String name, Path file) throws IOException {
        var e = new TarArchiveEntry(name);
        e.setSize(Files.size(file));
        tar.putArchiveEntry(e);
        try (InputStream in = Files.newInputStream(file)) {
            in.transferTo(tar);
        }
        tar.closeArchiveEntry();
    }

    private static String strip(String name) {
        return name.startsWith("./") ? name.substring(2) : name;
    }
}
