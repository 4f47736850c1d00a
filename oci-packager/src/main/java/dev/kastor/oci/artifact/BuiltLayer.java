package dev.kastor.oci.artifact;

import dev.kastor.oci.Descriptor;
import dev.kastor.oci.Digest;
import dev.kastor.oci.MediaTypes;
import java.nio.file.Path;

/**
 * A written Flux content layer.
 *
 * @param path the .tar.gz file, or null when the layer was written to a caller's stream
 * @param digest sha256 of the compressed bytes: the layer's blob digest
 * @param size compressed size in bytes
 * @param fileCount files packaged (directories not counted)
 * @param uncompressedBytes length of the tar stream, which is what gunzip yields
 */
public record BuiltLayer(Path path, Digest digest, long size, int fileCount, long uncompressedBytes) {
    /** How a manifest refers to this layer. */
    public Descriptor descriptor() {
        return new Descriptor(MediaTypes.FLUX_CONTENT, digest, size);
    }
}
