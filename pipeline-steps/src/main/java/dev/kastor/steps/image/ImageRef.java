package dev.kastor.steps.image;

import dev.kastor.oci.Digest;
import dev.kastor.oci.InvalidInputException;
import dev.kastor.oci.UsageException;
import dev.kastor.oci.registry.Reference;

/**
 * A container image reference in the form Docker tools and GitLab's {@code $CI_REGISTRY_IMAGE} use:
 * {@code [host[:port]/]repo[:tag][@sha256:…]}, without the {@code oci://} prefix that {@code kastor artifact} requires.
 * A name without a registry host ({@code eclipse-temurin:21-jre}) is on Docker Hub, as in Docker.
 */
public record ImageRef(Reference reference) {
    static final String DOCKER_HUB = "registry-1.docker.io";
    private static final String EXAMPLE = "registry.example.com/group/app:1.0.0";

    public static ImageRef parse(String text) {
        if (text == null || text.isBlank()) {
            throw new UsageException("empty image reference: expected e.g. " + EXAMPLE
                    + " (in GitLab CI, $CI_REGISTRY_IMAGE:$CI_COMMIT_SHA)");
        }
        String t = text.strip();
        if (t.startsWith(Reference.PREFIX)) t = t.substring(Reference.PREFIX.length());
        if (t.contains("://")) {
            throw new UsageException("'" + text + "' is not an image reference: give host/repository:tag without a scheme, e.g. " + EXAMPLE);
        }
        String digest = null;
        int at = t.indexOf('@');
        if (at >= 0) {
            digest = t.substring(at + 1);
            t = t.substring(0, at);
        }
        int slash = t.indexOf('/');
        String first = slash < 0 ? "" : t.substring(0, slash);
        boolean hasHost = slash > 0 && (first.contains(".") || first.contains(":") || first.equals("localhost"));
        String host = hasHost ? first : DOCKER_HUB;
        String path = hasHost ? t.substring(slash + 1) : t;
        if (host.equals("docker.io") || host.equals("index.docker.io")) host = DOCKER_HUB;
        String tag = null;
        int colon = path.lastIndexOf(':');
        if (colon >= 0) {
            tag = path.substring(colon + 1);
            path = path.substring(0, colon);
        }
        if (host.equals(DOCKER_HUB) && !path.contains("/")) path = "library/" + path;
        Digest d = null;
        if (digest != null && digest.isEmpty()) {
            // what '$CI_REGISTRY_IMAGE@$KASTOR_IMAGE_DIGEST' becomes when the build job's dotenv report did not arrive
            throw new UsageException(UsageException.emptyFromDotenv("'" + text + "' has an empty digest after '@'", "KASTOR_IMAGE_DIGEST",
                    "the image build job", "kastor image build", "image.env"));
        }
        if (digest != null) {
            try {
                d = Digest.parse(digest);
            } catch (InvalidInputException e) {
                throw new UsageException("'" + text + "' has a malformed digest '" + digest + "': expected @sha256: and 64 lowercase hex digits", e);
            }
        }
        try {
            return new ImageRef(new Reference(host, path, tag, d));
        } catch (InvalidInputException e) {
            throw new UsageException("'" + text + "' is not a valid image reference: " + e.getMessage(), e);
        }
    }

    public String host() {
        return reference.host();
    }

    public String repository() {
        return reference.repository();
    }

    public String tag() {
        return reference.tag();
    }

    public Digest digest() {
        return reference.digest();
    }

    public ImageRef withTag(String tag) {
        return new ImageRef(reference.withTag(tag));
    }

    /** {@code host/repository} as Docker prints it. */
    public String name() {
        return reference.name();
    }

    /** The reference as Docker tools print it: {@code host/repo:tag@digest}. */
    @Override
    public String toString() {
        return reference.name() + (tag() == null ? "" : ":" + tag()) + (digest() == null ? "" : "@" + digest());
    }
}
