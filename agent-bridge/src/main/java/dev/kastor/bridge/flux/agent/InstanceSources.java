package dev.kastor.bridge.flux.agent;

import dev.kastor.bridge.flux.rpc.Instance;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * What KAS says belongs to its GitLab instance (Git URL prefixes, registry hosts), and how a Flux source's
 * {@code spec.url} is matched against it: only those sources get a Receiver, so the agent never touches the sources
 * of other Git servers or registries.
 */
record InstanceSources(List<String> gitUrlPrefixes, List<String> registries) {
    InstanceSources {
        gitUrlPrefixes = List.copyOf(gitUrlPrefixes);
        registries = registries.stream().map(r -> r.toLowerCase(Locale.ROOT)).toList();
    }

    static InstanceSources of(Instance instance) {
        return new InstanceSources(instance.getGitUrlPrefixesList(), instance.getRegistriesList());
    }

    /** KAS matches nothing: its flux feature is off. */
    boolean isEmpty() {
        return gitUrlPrefixes.isEmpty() && registries.isEmpty();
    }

    /**
     * The project's full path (lower case: GitLab routes paths without case) when {@code url} is one of the
     * instance's projects, e.g. {@code https://gitlab.example.com/group/app.git} gives {@code group/app}.
     */
    Optional<String> gitProject(String url) {
        if (url == null) return Optional.empty();
        for (String prefix : gitUrlPrefixes) {
            if (prefix.isEmpty() || !url.regionMatches(true, 0, prefix, 0, prefix.length())) continue;
            String path = url.substring(prefix.length()).replaceAll("/+$", "");
            if (path.regionMatches(true, path.length() - 4, ".git", 0, 4)) path = path.substring(0, path.length() - 4);
            if (validPath(path)) return Optional.of(path.toLowerCase(Locale.ROOT));
        }
        return Optional.empty();
    }

    /**
     * {@code <host>/<repository>} (host in lower case) when {@code url} is {@code oci://<host>/<repository>} on one of
     * the instance's registries.
     */
    Optional<String> ociRepository(String url) {
        if (url == null || !url.regionMatches(true, 0, "oci://", 0, 6)) return Optional.empty();
        String rest = url.substring(6);
        int slash = rest.indexOf('/');
        if (slash <= 0) return Optional.empty();
        String host = rest.substring(0, slash).toLowerCase(Locale.ROOT);
        String repository = rest.substring(slash + 1).replaceAll("/+$", "");
        return registries.contains(host) && validPath(repository) ? Optional.of(host + "/" + repository) : Optional.empty();
    }

    /** A path of one or more segments, none empty, {@code .} or {@code ..}, and no query or fragment. */
    private static boolean validPath(String path) {
        if (path.isEmpty() || path.contains("?") || path.contains("#")) return false;
        for (String segment : path.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) return false;
        }
        return true;
    }
}
