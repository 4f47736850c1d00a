package dev.kastor.oci.registry;

import dev.kastor.oci.Digest;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A manifest exactly as the registry stores it: the digest is over these bytes, so they are never re-serialised.
 *
 * @param bytes the raw JSON
 * @param mediaType its media type (from Content-Type)
 * @param digest sha256 of {@code bytes}
 */
public record Manifest(byte[] bytes, String mediaType, Digest digest) {
    public Manifest {
        bytes = bytes.clone();
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    public String json() {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Manifest m && Arrays.equals(bytes, m.bytes) && mediaType.equals(m.mediaType) && digest.equals(m.digest);
    }

    @Override
    public int hashCode() {
        return digest.hashCode();
    }

    @Override
    public String toString() {
        return "Manifest[" + mediaType + ", " + digest + ", " + bytes.length + " bytes]";
    }
}
