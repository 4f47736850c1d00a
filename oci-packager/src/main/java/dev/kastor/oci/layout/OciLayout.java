package dev.kastor.oci.layout;

import dev.kastor.oci.AtomicFiles;
import dev.kastor.oci.Causes;
import dev.kastor.oci.Descriptor;
import dev.kastor.oci.Digest;
import dev.kastor.oci.InvalidInputException;
import dev.kastor.oci.KastorException;
import dev.kastor.oci.MediaTypes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

import java.util.Optional;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * An OCI image layout directory ({@code oci-layout}, {@code index.json}, {@code blobs/sha256/…}), as skopeo's
 * {@code oci:<dir>:<tag>} and Flux's tooling read it. Every file is written to a temporary name and renamed, so a
 * failure never leaves a half-written blob or index.
 */
public final class OciLayout {
    public static final String REF_NAME = "org.opencontainers.image.ref.name";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Path root;

    private OciLayout(Path root) {
        this.root = root;
    }

    /** Opens a layout, creating the directory and its {@code oci-layout} marker when missing. */
    public static OciLayout createOrOpen(Path root) {
        try {
            if (Files.exists(root) && !Files.isDirectory(root)) {
                throw new InvalidInputException("OCI layout " + root + " is a file, not a directory: pick another path");
            }
            Files.createDirectories(root.resolve("blobs/sha256"));
            Path marker = root.resolve("oci-layout");
            if (!Files.exists(marker)) {
                AtomicFiles.write(marker, "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes());
            }
            return new OciLayout(root);
        } catch (IOException e) {
            throw new KastorException("cannot create OCI layout " + root + ": " + Causes.describe(e), e);
        }
    }

    /** Opens an existing layout for reading. */
    public static OciLayout open(Path root) {
        if (!Files.isRegularFile(root.resolve("oci-layout"))) {
            throw new InvalidInputException(root + " is not an OCI image layout (no oci-layout file)");
        }
        return new OciLayout(root);
    }

    public Path root() {
        return root;
    }

    public Path blobPath(Digest digest) {
        return root.resolve("blobs/sha256").resolve(digest.hex());
    }

    public void writeBlob(Digest digest, byte[] content) {
        Path target = blobPath(digest);
        if (Files.exists(target)) return;
        try {
            AtomicFiles.write(target, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Moves an already digested file into the blob store (same filesystem: a rename). */
    public void moveBlob(Digest digest, Path file) {
        Path target = blobPath(digest);
        try {
            if (Files.exists(target)) {
                Files.deleteIfExists(file);
            } else {
                Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A scratch directory inside the layout, so moving a finished blob in is a rename. */
    public Path scratchFile() {
        try {
            return Files.createTempFile(root.resolve("blobs"), ".upload-", ".tmp");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Points {@code tag} at the manifest (replacing the tag's previous manifest, like a registry does). */
    public void tag(String tag, Descriptor manifest) {
        ObjectNode index = readIndex();
        var manifests = index.withArray("manifests");
        var kept = new ArrayList<JsonNode>();
        manifests.forEach(m -> {
            if (!tag.equals(m.path("annotations").path(REF_NAME).asString(null))) kept.add(m);
        });
        ObjectNode entry = JSON.createObjectNode();
        entry.put("mediaType", manifest.mediaType());
        entry.put("digest", manifest.digest().toString());
        entry.put("size", manifest.size());
        entry.putObject("annotations").put(REF_NAME, tag);
        kept.add(entry);
        manifests.removeAll();
        kept.forEach(manifests::add);
        try {
            AtomicFiles.write(root.resolve("index.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(index));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The manifest a tag points at, if any. */
    public Optional<Descriptor> resolve(String tag) {
        for (JsonNode m : readIndex().path("manifests")) {
            if (tag.equals(m.path("annotations").path(REF_NAME).asString(null))) {
                return Optional.of(new Descriptor(m.path("mediaType").asString(), Digest.parse(m.path("digest").asString()), m.path("size").asLong()));
            }
        }
        return Optional.empty();
    }

    public List<String> tags() {
        var tags = new ArrayList<String>();
        readIndex().path("manifests").forEach(m -> {
            String t = m.path("annotations").path(REF_NAME).asString(null);
            if (t != null) tags.add(t);
        });
        return tags;
    }

    public byte[] readBlob(Digest digest) {
        try {
            return Files.readAllBytes(blobPath(digest));
        } catch (IOException e) {
            throw new KastorException("OCI layout " + root + " lacks blob " + digest + ": " + Causes.describe(e), e);
        }
    }

    private ObjectNode readIndex() {
        Path index = root.resolve("index.json");
        if (!Files.exists(index)) {
            ObjectNode fresh = JSON.createObjectNode();
            fresh.put("schemaVersion", 2);
            fresh.put("mediaType", MediaTypes.OCI_INDEX);
            fresh.putArray("manifests");
            return fresh;
        }
        try {
            return (ObjectNode) JSON.readTree(Files.readAllBytes(index));
        } catch (IOException | RuntimeException e) {
            throw new InvalidInputException("cannot read " + index + ": " + Causes.describe(e));
        }
    }
}
