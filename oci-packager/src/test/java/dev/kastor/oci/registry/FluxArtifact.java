package dev.kastor.oci.registry;

import dev.kastor.oci.Descriptor;
import dev.kastor.oci.Digest;
import dev.kastor.oci.MediaTypes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * A Flux-shaped artifact assembled by hand for registry tests: config {@code {}} with the Flux config media type,
 * one layer of random bytes with the Flux content media type, an OCI manifest with annotations. The real tarball
 * is another package's business; the registry does not look inside layers.
 */
record FluxArtifact(byte[] config, Descriptor configDescriptor, Path layer, Descriptor layerDescriptor, byte[] manifest) {
    static FluxArtifact create(Path dir, int layerSize, long seed) throws IOException {
        byte[] config = "{}".getBytes(StandardCharsets.UTF_8);
        var configDescriptor = new Descriptor(MediaTypes.FLUX_CONFIG, Digest.of(config), config.length);
        byte[] layerBytes = new byte[layerSize];
        new Random(seed).nextBytes(layerBytes);
        Path layer = Files.write(dir.resolve("layer-" + seed + ".tar.gz"), layerBytes);
        var layerDescriptor = new Descriptor(MediaTypes.FLUX_CONTENT, Digest.of(layerBytes), layerBytes.length);
        String manifest = """
                {"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"%s","digest":"%s","size":%d},\
                "layers":[{"mediaType":"%s","digest":"%s","size":%d}],\
                "annotations":{"org.opencontainers.image.created":"2026-01-01T00:00:00Z",\
                "org.opencontainers.image.revision":"main@sha1:0123456789abcdef0123456789abcdef01234567",\
                "org.opencontainers.image.source":"https://gitlab.example.com/bars/app.git"}}"""
                .formatted(MediaTypes.OCI_MANIFEST, MediaTypes.FLUX_CONFIG, configDescriptor.digest(), config.length,
                        MediaTypes.FLUX_CONTENT, layerDescriptor.digest(), layerBytes.length);
        return new FluxArtifact(config, configDescriptor, layer, layerDescriptor, manifest.getBytes(StandardCharsets.UTF_8));
    }

    /** Blobs first, manifest last: the order the CLI uses. */
    Digest push(Registry registry, String repository, String tag) {
        registry.pushBlob(repository, configDescriptor, config);
        registry.pushBlob(repository, layerDescriptor, layer, null);
        return registry.pushManifest(repository, tag, manifest, MediaTypes.OCI_MANIFEST);
    }

    Digest manifestDigest() {
        return Digest.of(manifest);
    }
}
