package dev.kastor.steps.image;

import dev.kastor.steps.env.Environment;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The OCI annotations-as-labels a registry UI (GitLab, Harbor) and scanners read, filled from GitLab CI variables:
 * {@code org.opencontainers.image.source} ({@code CI_PROJECT_URL}), {@code .revision} ({@code CI_COMMIT_SHA}),
 * {@code .created} (the image's creation time, so it never breaks reproducibility). {@code --label} overrides them.
 */
public final class ImageLabels {
    public static final String SOURCE = "org.opencontainers.image.source";
    public static final String REVISION = "org.opencontainers.image.revision";
    public static final String CREATED = "org.opencontainers.image.created";

    private ImageLabels() {}

    /** The labels every image built in a GitLab CI job gets (the release's {@code build-images} too). */
    public static Map<String, String> fromCi(Environment env, Instant created) {
        var labels = new LinkedHashMap<String, String>();
        labels.put(CREATED, DateTimeFormatter.ISO_INSTANT.format(created));
        if (env.env("CI_PROJECT_URL") != null) labels.put(SOURCE, env.env("CI_PROJECT_URL"));
        if (env.env("CI_COMMIT_SHA") != null) labels.put(REVISION, env.env("CI_COMMIT_SHA"));
        return labels;
    }
}
