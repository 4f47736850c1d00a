package dev.kastor.steps;

import dev.kastor.testing.Programs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Looks at pushed artifacts with other people's code only — skopeo, GNU tar, the JDK's SHA-256 — so a test can
 * never agree with Kastor merely because it shares Kastor's bugs.
 */
public final class Artifacts {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    public static final String FLUX_CONFIG = "application/vnd.cncf.flux.config.v1+json";
    public static final String FLUX_CONTENT = "application/vnd.cncf.flux.content.v1.tar+gzip";

    private Artifacts() {}

    public static String sha256(byte[] bytes) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String sha256(String text) {
        return sha256(text.getBytes(StandardCharsets.UTF_8));
    }

    public static JsonNode json(String text) {
        return JSON.readTree(text);
    }

    /** Writes {@code relative path -> content} under {@code dir}, creating directories. */
    public static Path write(Path dir, Map<String, String> files) {
        files.forEach((rel, content) -> {
            Path p = dir.resolve(rel);
            try {
                Files.createDirectories(p.getParent());
                Files.writeString(p, content, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        return dir;
    }

    /** Every regular file under {@code dir} as {@code a/b.yaml -> content}, sorted. */
    public static Map<String, String> files(Path dir) {
        var result = new TreeMap<String, String>();
        try (var paths = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                if (Files.isRegularFile(p)) {
                    result.put(dir.relativize(p).toString().replace('\\', '/'), Files.readString(p, StandardCharsets.UTF_8));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return result;
    }

    /** Every path (files and directories) under {@code dir}, relative, sorted; empty when dir does not exist. */
    public static List<String> listing(Path dir) {
        var result = new ArrayList<String>();
        if (!Files.exists(dir)) return result;
        try (var paths = Files.walk(dir)) {
            paths.filter(p -> !p.equals(dir)).forEach(p -> result.add(dir.relativize(p).toString()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        result.sort(null);
        return result;
    }

    /** {@code skopeo inspect --raw} of an OCI layout directory's tag. */
    public static String inspectLayoutRaw(Path layout, String tag) {
        return Programs.check(List.of(skopeo(), "inspect", "--raw", "oci:" + layout + ":" + tag), 60);
    }

    /**
     * Whether skopeo finds {@code host/repo:tag}: true when it reads a manifest, false when the registry says the
     * manifest or repository is unknown; anything else (connection refused, auth) fails the test.
     */
    public static boolean tagExists(String hostRepoTag, String creds) {
        var cmd = new ArrayList<>(List.of(skopeo(), "inspect", "--raw", "--tls-verify=false"));
        if (creds != null) {
            cmd.add("--creds");
            cmd.add(creds);
        }
        cmd.add("docker://" + hostRepoTag);
        Programs.Result r = Programs.run(cmd, 60);
        if (r.exit() == 0) return true;
        if (r.stderr().toLowerCase().matches("(?s).*(manifest unknown|name unknown|not found).*")) return false;
        throw new IllegalStateException("skopeo inspect docker://" + hostRepoTag + " failed for another reason: " + r.stderr());
    }

    /**
     * Copies {@code host/repo:tag} with skopeo into an OCI layout under {@code work}, then unpacks its Flux layer
     * with GNU tar into {@code work/unpacked}. Returns that directory.
     */
    public static Path copyAndUnpack(String hostRepoTag, String creds, Path work) {
        Path layout = work.resolve("skopeo-layout");
        try {
            Files.createDirectories(work);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        dev.kastor.testing.Skopeo.copyToOciLayout(hostRepoTag, layout, "t", creds);
        return unpackLayer(layout, work.resolve("unpacked"));
    }

    /** Unpacks the single Flux content layer of the only manifest in an OCI layout with GNU tar. */
    public static Path unpackLayer(Path layout, Path into) {
        try {
            JsonNode index = JSON.readTree(Files.readString(layout.resolve("index.json")));
            String manifestDigest = index.get("manifests").get(0).get("digest").asString();
            JsonNode manifest = JSON.readTree(Files.readAllBytes(blob(layout, manifestDigest)));
            JsonNode layers = manifest.get("layers");
            if (layers.size() != 1 || !FLUX_CONTENT.equals(layers.get(0).get("mediaType").asString())) {
                throw new AssertionError("not one Flux content layer: " + manifest);
            }
            Path layer = blob(layout, layers.get(0).get("digest").asString());
            Files.createDirectories(into);
            Programs.check(List.of(Programs.require("tar", "tar").toString(), "-xzf", layer.toString(), "-C", into.toString()), 60);
            return into;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code tar -tvzf --numeric-owner} of the layer: what GNU tar says about owners, modes and times. */
    public static String tarListing(Path layout) {
        try {
            JsonNode index = JSON.readTree(Files.readString(layout.resolve("index.json")));
            JsonNode manifest = JSON.readTree(Files.readAllBytes(blob(layout, index.get("manifests").get(0).get("digest").asString())));
            Path layer = blob(layout, manifest.get("layers").get(0).get("digest").asString());
            return Programs.check(List.of(Programs.require("tar", "tar").toString(), "--numeric-owner", "--full-time", "-tvzf", layer.toString()), 60);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path blob(Path layout, String digest) {
        return layout.resolve("blobs").resolve(digest.replace(':', '/'));
    }

    private static String skopeo() {
        return Programs.require("skopeo", "skopeo").toString();
    }
}
