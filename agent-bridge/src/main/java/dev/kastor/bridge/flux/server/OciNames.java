package dev.kastor.bridge.flux.server;

import java.util.Set;
import java.util.regex.Pattern;

/** The OCI distribution spec's rules for what a push event names: repositories, digests, tags, manifest media types. */
final class OciNames {
    private OciNames() {}

    private static final Pattern REPOSITORY = Pattern.compile("[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*");
    private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,127}");
    /** Manifests and indexes, OCI and Docker: a push of one of these is a new artifact; blobs are only its parts. */
    private static final Set<String> MANIFESTS = Set.of(
            "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.oci.image.index.v1+json",
            "application/vnd.docker.distribution.manifest.v2+json",
            "application/vnd.docker.distribution.manifest.list.v2+json",
            "application/vnd.docker.distribution.manifest.v1+json",
            "application/vnd.docker.distribution.manifest.v1+prettyjws");

    static boolean repository(String s) {
        return s != null && s.length() <= 255 && REPOSITORY.matcher(s).matches();
    }

    static boolean digest(String s) {
        return s != null && DIGEST.matcher(s).matches();
    }

    /** A tag, or empty (pushed by digest). */
    static boolean tagOrEmpty(String s) {
        return s != null && (s.isEmpty() || TAG.matcher(s).matches());
    }

    static boolean manifest(String mediaType) {
        return mediaType != null && MANIFESTS.contains(mediaType);
    }
}
