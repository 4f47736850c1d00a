package dev.kastor.bridge.config;

import java.time.Duration;
import java.util.regex.Pattern;

/** Every default of the agent configuration feature, in one place (GitLab's agent uses the same figures). */
public final class ConfigDefaults {
    private ConfigDefaults() {}

    /** How often KAS asks Git whether an agent's config project moved (GitLab: at most 5 min). */
    public static final Duration POLL_PERIOD = Duration.ofMinutes(5);
    /** Below this, polling would hammer the Git server. */
    public static final Duration MIN_POLL_PERIOD = Duration.ofSeconds(1);
    /** GitLab refuses agent config files above 128 KiB; so does Kastor. */
    public static final int MAX_FILE_BYTES = 128 * 1024;
    /** Where an agent's file lives in its config project. */
    public static final String PATH_TEMPLATE = ".gitlab/agents/%s/config.yaml";
    /** {@code {project}} is the config project's full path; the default prefix is {@code gitlab.url}. */
    public static final String GIT_URL_SUFFIX = "/{project}.git";
    public static final String DEFAULT_FLUX_WEBHOOK_RECEIVER_URL = "http://webhook-receiver.flux-system.svc.cluster.local";
    public static final Duration BACKOFF_MIN = Duration.ofSeconds(1);
    public static final Duration BACKOFF_MAX = Duration.ofSeconds(20);
    /** GitLab push webhook on KAS's API port: refreshes the pushed project's agents at once. */
    public static final String WEBHOOK_PATH = "/api/v1/config/webhook";

    public static String path(String agentName) {
        return PATH_TEMPLATE.formatted(agentName);
    }

    /**
     * {@code 30s}, {@code 5m}, {@code 1h} or ISO-8601 ({@code PT5M}); null when it is neither.
     */
    public static Duration parseDuration(String text) {
        if (text == null) return null;
        String t = text.trim();
        try {
            if (t.regionMatches(true, 0, "PT", 0, 2) || t.regionMatches(true, 0, "P", 0, 1)) return Duration.parse(t);
            var m = Pattern.compile("(\\d+)(ms|s|m|h)").matcher(t);
            if (!m.matches()) return null;
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
            };
        } catch (RuntimeException e) {
            return null;
        }
    }
}
