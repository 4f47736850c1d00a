package dev.kastor.oci.registry;

import dev.kastor.oci.Digest;
import dev.kastor.oci.InvalidInputException;
import dev.kastor.oci.UsageException;
import java.util.regex.Pattern;

/**
 * Where an artifact lives: {@code oci://host[:port]/path/repo[:tag][@sha256:…]}. The {@code oci://} prefix is
 * required so that a registry reference can never be mistaken for a local path, as in Flux's own CLI.
 *
 * @param host registry host with optional port, e.g. {@code registry.gitlab.com} or {@code 127.0.0.1:5000}
 * @param repository repository path, e.g. {@code group/project/manifests}
 * @param tag tag or {@code null}
 * @param digest manifest digest or {@code null}
 */
public record Reference(String host, String repository, String tag, Digest digest) {
    public static final String PREFIX = "oci://";
    private static final String EXAMPLE = "oci://registry.example.com/group/app-manifests:1.0.0";

    // The distribution spec's grammar (distribution/reference/regexp.go), kept literal so it can be compared.
    private static final String COMPONENT = "[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*";
    private static final Pattern REPOSITORY = Pattern.compile(COMPONENT + "(?:/" + COMPONENT + ")*");
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,127}");
    private static final String LABEL = "(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])";
    private static final Pattern HOST =
            Pattern.compile("(?:" + LABEL + "(?:\\." + LABEL + ")*|\\[[0-9A-Fa-f:.]+\\])(?::[0-9]{1,5})?");

    public Reference {
        if (host == null || !HOST.matcher(host).matches()) {
            throw new InvalidInputException("'" + host + "' is not a registry host: expected host[:port], e.g. " + EXAMPLE);
        }
        if (repository == null || !REPOSITORY.matcher(repository).matches() || repository.length() > 255) {
            throw new InvalidInputException("'" + repository + "' is not a valid repository name: use lowercase letters, digits and"
                    + " separators (. _ -) between path components separated by '/', e.g. " + EXAMPLE);
        }
        if (tag != null && !TAG.matcher(tag).matches()) {
            throw new InvalidInputException("'" + tag + "' is not a valid tag: up to 128 characters of letters, digits, '_', '.' and '-',"
                    + " not starting with '.' or '-', e.g. " + EXAMPLE);
        }
    }

    /** Parses {@code oci://host[:port]/repo[:tag][@sha256:…]}; the message of a failure says what is wrong. */
    public static Reference parse(String text) {
        if (text == null || text.isBlank()) {
            throw new InvalidInputException("empty registry reference: expected e.g. " + EXAMPLE);
        }
        if (!text.startsWith(PREFIX)) {
            throw new InvalidInputException("'" + text + "' is not a registry reference: it must start with " + PREFIX + ", e.g. " + EXAMPLE);
        }
        String rest = text.substring(PREFIX.length());
        if (holdsUserInfo(rest)) {
            // Never echo the text, not even in part: it holds a password.
            throw new InvalidInputException("a registry reference must not hold credentials (USER:PASSWORD@ before the host;"
                    + " the reference is not repeated here so that they do not reach the job log): write " + PREFIX
                    + "HOST/REPO:TAG and give credentials as CI_REGISTRY_USER/CI_REGISTRY_PASSWORD (when HOST is $CI_REGISTRY),"
                    + " --creds USER:PASSWORD or the masked CI/CD variable KASTOR_CREDS, or DOCKER_AUTH_CONFIG");
        }
        Digest digest = null;
        int at = rest.indexOf('@');
        if (at >= 0) {
            String digestText = rest.substring(at + 1);
            if (digestText.isEmpty()) {
                throw new UsageException(UsageException.emptyFromDotenv("'" + text + "' has an empty digest after '@'",
                        "KASTOR_ARTIFACT_DIGEST"));
            }
            try {
                digest = Digest.parse(digestText);
            } catch (InvalidInputException e) {
                throw new InvalidInputException("'" + text + "' has a malformed digest '" + digestText
                        + "': expected @sha256: followed by 64 lowercase hex digits", e);
            }
            rest = rest.substring(0, at);
        }
        int slash = rest.indexOf('/');
        if (slash <= 0 || slash == rest.length() - 1) {
            throw new InvalidInputException("'" + text + "' names no repository: expected " + PREFIX + "host[:port]/repository[:tag], e.g. " + EXAMPLE);
        }
        String host = rest.substring(0, slash);
        String path = rest.substring(slash + 1);
        String tag = null;
        int colon = path.lastIndexOf(':');
        if (colon >= 0) {
            tag = path.substring(colon + 1);
            path = path.substring(0, colon);
        }
        return new Reference(host, path, tag, digest);
    }

    /**
     * A digest's {@code @} comes after the repository (so after a '/') and is the only one, with no '/' after it; any
     * other {@code @} is user-info ({@code user:pw@host/…}), which may itself hold '/' or '@'.
     */
    private static boolean holdsUserInfo(String rest) {
        int at = rest.indexOf('@');
        if (at < 0) {
            return false;
        }
        int slash = rest.indexOf('/');
        return slash < 0 || slash > at || rest.indexOf('/', at) >= 0 || rest.indexOf('@', at + 1) >= 0;
    }

    public Reference withTag(String newTag) {
        return new Reference(host, repository, newTag, digest);
    }

    public Reference withDigest(Digest newDigest) {
        return new Reference(host, repository, tag, newDigest);
    }

    /** What to fetch by: the digest when there is one (it cannot move), else the tag, else {@code null}. */
    public String tagOrDigest() {
        return digest != null ? digest.toString() : tag;
    }

    /** {@code host/repository}, the form registries and Docker tools use without scheme. */
    public String name() {
        return host + "/" + repository;
    }

    @Override
    public String toString() {
        return PREFIX + host + "/" + repository + (tag == null ? "" : ":" + tag) + (digest == null ? "" : "@" + digest);
    }
}
