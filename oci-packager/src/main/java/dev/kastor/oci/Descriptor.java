package dev.kastor.oci;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/** An OCI content descriptor: what a manifest says about a blob. */
public record Descriptor(String mediaType, Digest digest, long size, Map<String, String> annotations) {
    public Descriptor {
        annotations = annotations == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(annotations));
    }

    public Descriptor(String mediaType, Digest digest, long size) {
        this(mediaType, digest, size, Map.of());
    }
}
