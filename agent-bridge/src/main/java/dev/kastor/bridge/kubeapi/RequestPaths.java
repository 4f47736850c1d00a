package dev.kastor.bridge.kubeapi;

import java.util.Optional;

/**
 * The path rule both halves apply before a request goes anywhere: no {@code .} or {@code ..} segment, also not
 * percent-encoded ({@code %2e%2E}) and not hidden behind an encoded slash ({@code ..%2f}). An API server behind a base
 * path ({@code https://rancher/k8s/clusters/c-1}) or a proxy in front of it may resolve them, so
 * {@code /k8s-proxy/../../v3/settings} would leave the Kubernetes API. Nothing kube-apiserver serves needs such a
 * segment (object names are DNS names or paths without them), so refusing loses nothing; dots inside a segment
 * ({@code my.pod}, {@code a..b}) and colons ({@code name:with:colons}) stay.
 */
public final class RequestPaths {
    private RequestPaths() {}

    /** Why the raw (still percent-encoded) path is refused, or empty when it may be forwarded. */
    public static Optional<String> whyRefused(String rawPath) {
        for (String segment : rawPath.split("/", -1)) {
            String decoded = decode(segment);
            if (decoded == null) return Optional.of("the path " + rawPath + " has a malformed percent-escape in '" + segment + "'");
            // An encoded slash does not end a segment here, but a server that decodes first would see two.
            for (String part : decoded.split("/", -1)) {
                if (part.equals(".") || part.equals("..")) {
                    return Optional.of("the path " + rawPath + " has a '" + part + "' segment" + (segment.equals(part) ? "" : " (" + segment + ")")
                            + ": paths with '.' or '..' segments, also percent-encoded, are not forwarded to the cluster");
                }
            }
        }
        return Optional.empty();
    }

    /** The segment with its %XX escapes decoded byte by byte (dots and slashes are ASCII), or null for a bad escape. */
    private static String decode(String segment) {
        if (segment.indexOf('%') < 0) return segment;
        var sb = new StringBuilder(segment.length());
        for (int i = 0; i < segment.length(); i++) {
            char c = segment.charAt(i);
            if (c != '%') {
                sb.append(c);
                continue;
            }
            if (i + 2 >= segment.length()) return null;
            int hi = Character.digit(segment.charAt(i + 1), 16);
            int lo = Character.digit(segment.charAt(i + 2), 16);
            if (hi < 0 || lo < 0) return null;
            sb.append((char) (hi << 4 | lo));
            i += 2;
        }
        return sb.toString();
    }
}
