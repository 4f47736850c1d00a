package dev.kastor.steps.flux;

import java.util.Locale;

/**
 * A Git project's identity in its clone URLs, so a GitRepository's {@code spec.url} is recognised whichever form it
 * uses: {@code https://host/group/app}, {@code https://gitlab-ci-token:…@host/group/app.git} (CI_REPOSITORY_URL),
 * {@code ssh://git@host:2222/group/app.git} and {@code git@host:group/app.git} all name {@code host/group/app}.
 * Scheme, user and password, port, a trailing {@code .git} or slash and case (GitLab paths are case-insensitive)
 * make no difference; the key never holds a credential, so it can be printed.
 */
final class CloneUrls {
    private CloneUrls() {}

    static String key(String url) {
        String u = url.strip();
        int scheme = u.indexOf("://");
        String rest = scheme >= 0 ? u.substring(scheme + 3) : u;
        int slash = rest.indexOf('/');
        int at = rest.lastIndexOf('@', slash < 0 ? rest.length() : slash);
        if (at >= 0) rest = rest.substring(at + 1);
        String host;
        String path;
        if (scheme >= 0) {
            slash = rest.indexOf('/');
            host = slash < 0 ? rest : rest.substring(0, slash);
            path = slash < 0 ? "" : rest.substring(slash + 1);
            int port = host.lastIndexOf(':');
            if (port >= 0) host = host.substring(0, port);
        } else { // scp-like: [user@]host:path
            int colon = rest.indexOf(':');
            host = colon < 0 ? rest : rest.substring(0, colon);
            path = colon < 0 ? "" : rest.substring(colon + 1);
        }
        path = trim(path);
        return (host + "/" + path).toLowerCase(Locale.ROOT);
    }

    private static String trim(String path) {
        String p = path;
        while (p.startsWith("/")) p = p.substring(1);
        while (p.endsWith("/")) p = p.substring(0, p.length() - 1);
        return p.endsWith(".git") ? p.substring(0, p.length() - 4) : p;
    }
}
