package dev.kastor.oci.flux;

import dev.kastor.oci.InvalidInputException;
import dev.kastor.oci.UsageException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The annotations a Flux artifact carries: {@code org.opencontainers.image.created} (see {@link CreationTime}),
 * {@code .source}, {@code .revision}, plus any extra ones. Defaults come from GitLab CI variables, so a job needs no flags.
 */
public record ArtifactMetadata(CreationTime created, String source, String revision, Map<String, String> extra) {
    public static final String CREATED = "org.opencontainers.image.created";
    public static final String SOURCE = "org.opencontainers.image.source";
    public static final String REVISION = "org.opencontainers.image.revision";

    private static final Pattern SHA1_REVISION = Pattern.compile(".*@sha1:(.*)");
    private static final Pattern FULL_SHA1 = Pattern.compile("[0-9a-f]{40}");

    public ArtifactMetadata {
        extra = Collections.unmodifiableMap(new TreeMap<>(extra == null ? Map.of() : extra));
        if (revision != null) {
            var m = SHA1_REVISION.matcher(revision);
            if (m.matches() && !FULL_SHA1.matcher(m.group(1)).matches()) {
                throw new InvalidInputException("revision '" + revision + "' has a short or malformed commit sha: Flux's"
                        + " GitLab commit-status provider needs the full 40-character form <ref>@sha1:<sha>"
                        + " (use $CI_COMMIT_SHA, not $CI_COMMIT_SHORT_SHA)");
            }
        }
    }

    /** All annotations, sorted by key, as they go into the manifest. */
    public Map<String, String> annotations() {
        var all = new TreeMap<String, String>(extra);
        all.put(CREATED, created.text());
        if (source != null && !source.isBlank()) all.put(SOURCE, source);
        if (revision != null && !revision.isBlank()) all.put(REVISION, revision);
        return Collections.unmodifiableMap(all);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Options from flags win over CI variables; CI variables win over nothing. */
    public static final class Builder {
        private Map<String, String> env = Map.of();
        private Instant now;
        private Path tree;
        private boolean reproducible;
        private String source;
        private String revision;
        private final Map<String, String> extra = new TreeMap<>();

        public Builder env(Map<String, String> env) {
            this.env = env;
            return this;
        }

        /** The clock, when nothing better gives {@code created} (default: the system clock). */
        public Builder now(Instant now) {
            this.now = now;
            return this;
        }

        /** The packaged directory or file: {@code created} is its Git commit's time when no variable gives one. */
        public Builder tree(Path tree) {
            this.tree = tree;
            return this;
        }

        /** Fix {@code created} to {@code SOURCE_DATE_EPOCH}, or to the Unix epoch, so the digest depends on content only. */
        public Builder reproducible(boolean reproducible) {
            this.reproducible = reproducible;
            return this;
        }

        public Builder source(String source) {
            this.source = source;
            return this;
        }

        public Builder revision(String revision) {
            this.revision = revision;
            return this;
        }

        /** Adds {@code key=value}; the key may not be empty. */
        public Builder annotation(String keyValue) {
            int eq = keyValue.indexOf('=');
            if (eq <= 0) {
                throw new UsageException("annotation '" + keyValue + "' is not key=value (for example --annotation org.opencontainers.image.title=app)");
            }
            extra.put(keyValue.substring(0, eq), keyValue.substring(eq + 1));
            return this;
        }

        public ArtifactMetadata build() {
            CreationTime created = CreationTime.resolve(env, tree, reproducible, () -> now != null ? now : Instant.now());
            return new ArtifactMetadata(created, firstNonBlank(source, env.get("CI_PROJECT_URL")), resolveRevision(), extra);
        }

        private String resolveRevision() {
            if (revision != null && !revision.isBlank()) return revision;
            String sha = env.get("CI_COMMIT_SHA");
            if (sha == null || sha.isBlank()) return null;
            if (!FULL_SHA1.matcher(sha).matches()) {
                throw new InvalidInputException("CI_COMMIT_SHA='" + sha + "' is not a full 40-character commit sha: Flux's"
                        + " GitLab commit-status provider needs <ref>@sha1:<full sha>; pass --revision explicitly");
            }
            String ref = firstNonBlank(env.get("CI_COMMIT_REF_NAME"), "HEAD");
            return ref + "@sha1:" + sha;
        }

        private static String firstNonBlank(String a, String b) {
            return a != null && !a.isBlank() ? a : (b != null && !b.isBlank() ? b : null);
        }
    }
}
