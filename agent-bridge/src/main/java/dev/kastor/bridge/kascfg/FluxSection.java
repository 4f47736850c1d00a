package dev.kastor.bridge.kascfg;

import dev.kastor.bridge.config.ConfigDefaults;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/** The {@code flux} section's defaults and checks: every mistake is refused at start, naming the key. */
final class FluxSection {
    private FluxSection() {}

    /** {@code host} or {@code host:port}, as in an {@code oci://} reference (no scheme, no path). */
    private static final Pattern REGISTRY_HOST = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?");

    /**
     * No section: the feature is off ({@link KasConfig.Flux#OFF}), so agents never look at the cluster's Flux objects
     * and nothing is polled; {@code flux: {}} turns it on with every default.
     *
     * @param gitlabUrl   {@code gitlab.url}, where the default Git URL prefixes come from (null with local jobs)
     * @param gitReadable whether {@code agent_configuration} names a Git server to poll
     */
    static KasConfig.Flux withDefaults(KasConfig.Flux flux, String gitlabUrl, boolean gitReadable) {
        if (flux == null) return KasConfig.Flux.OFF;
        var f = flux;
        if (f.webhookSecretFile() != null) KasConfig.contents("flux.webhook_secret_file", f.webhookSecretFile());
        return new KasConfig.Flux(f.webhookSecretFile(), pollPeriod(f.gitPollPeriod(), gitReadable),
                f.gitUrlPrefixes() == null ? defaultPrefixes(gitlabUrl) : prefixes(f.gitUrlPrefixes()), registries(f.registries()));
    }

    /** Null when polling is off: asked for ({@code 0}, {@code off}), or by default when there is no Git server to ask. */
    private static String pollPeriod(String given, boolean gitReadable) {
        if (given == null) return gitReadable ? KasConfig.FLUX_GIT_POLL.toMinutes() + "m" : null;
        String p = given.trim();
        if (p.equals("0") || p.equalsIgnoreCase("off")) return null;
        var d = ConfigDefaults.parseDuration(p);
        if (d == null) throw new IllegalArgumentException("flux.git_poll_period must be a duration like 30s, 1m or PT1M (0 or off: no polling), got " + given);
        if (d.isZero()) return null;
        if (d.compareTo(ConfigDefaults.MIN_POLL_PERIOD) < 0) {
            throw new IllegalArgumentException("flux.git_poll_period must be at least 1s (it is how often KAS asks Git), got " + given);
        }
        if (!gitReadable) {
            throw new IllegalArgumentException("flux.git_poll_period needs a Git server to ask: give agent_configuration.git_url_template"
                    + " (or gitlab.url), or set flux.git_poll_period: off");
        }
        return p;
    }

    /** {@code gitlab.url} over HTTPS and HTTP (path kept, for GitLab under a relative URL), and SSH in both notations. */
    private static List<String> defaultPrefixes(String gitlabUrl) {
        if (gitlabUrl == null) return List.of();
        URI u;
        try {
            u = URI.create(gitlabUrl.replaceAll("/+$", "") + "/");
        } catch (IllegalArgumentException e) {
            u = null;
        }
        if (u == null || u.getHost() == null) {
            throw new IllegalArgumentException("gitlab.url is not a URL like https://gitlab.example.com (flux.git_url_prefixes come from it), got " + gitlabUrl);
        }
        String rest = u.getRawAuthority() + u.getRawPath();
        return List.of("https://" + rest, "http://" + rest, "ssh://git@" + u.getHost() + "/", "git@" + u.getHost() + ":");
    }

    private static List<String> prefixes(List<String> given) {
        for (String p : given) {
            if (p == null || p.isBlank() || !(p.endsWith("/") || p.endsWith(":"))) {
                throw new IllegalArgumentException("flux.git_url_prefixes: each must end with / or : so a project's full path follows it,"
                        + " like https://gitlab.example.com/ or git@gitlab.example.com:, got " + p);
            }
        }
        return List.copyOf(given);
    }

    private static List<KasConfig.Registry> registries(List<KasConfig.Registry> given) {
        if (given == null) return List.of();
        var hosts = new HashSet<String>();
        var out = new ArrayList<KasConfig.Registry>();
        for (var r : given) {
            String host = r == null ? null : r.host();
            if (host == null || !REGISTRY_HOST.matcher(host).matches()) {
                throw new IllegalArgumentException("flux.registries[].host must be host or host:port as in oci://<host>/<repository>"
                        + " (no scheme, no path), like registry.example.com, got " + host);
            }
            if (!hosts.add(host.toLowerCase(Locale.ROOT))) throw new IllegalArgumentException("flux.registries lists " + host + " twice");
            if (r.notificationsTokenFile() != null) {
                KasConfig.contents("flux.registries[" + host + "].notifications_token_file", r.notificationsTokenFile());
            }
            out.add(r);
        }
        return List.copyOf(out);
    }
}
