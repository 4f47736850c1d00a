package dev.kastor.oci.flux;

import dev.kastor.oci.Causes;
import dev.kastor.oci.UsageException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.function.Supplier;
import org.eclipse.jgit.lib.Config;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileBasedConfig;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.util.FS;
import org.eclipse.jgit.util.SystemReader;

/**
 * An artifact's {@code org.opencontainers.image.created} and where it came from. It is part of the manifest, so the
 * clock would give every push its own digest; by default it is the commit's time instead, first match wins:
 * <ol>
 * <li>{@code SOURCE_DATE_EPOCH}: seconds since 1970, the reproducible-builds convention;</li>
 * <li>{@code CI_COMMIT_TIMESTAMP}: GitLab's ISO 8601 time of the pipeline's commit;</li>
 * <li>the commit time of HEAD in the Git work tree holding the packaged directory: the time GitLab gives as
 * {@code CI_COMMIT_TIMESTAMP} (the committer date), so a push from a laptop and from CI of the same commit agree;</li>
 * <li>the clock, said so: not reproducible.</li>
 * </ol>
 * {@code --reproducible} keeps its meaning, content only: {@code SOURCE_DATE_EPOCH}, else 1970-01-01, whatever the
 * commit. A variable that is set but unusable is a usage error naming it, never a silent fallback; an empty one is unset.
 *
 * @param instant when, to the second
 * @param origin  which source gave it
 * @param detail  that source in words, for the log line ({@code Git commit 1a2b3c4d5e6f (HEAD of /src/app)})
 */
public record CreationTime(Instant instant, Origin origin, String detail) {
    public static final String SOURCE_DATE_EPOCH = "SOURCE_DATE_EPOCH";
    public static final String CI_COMMIT_TIMESTAMP = "CI_COMMIT_TIMESTAMP";
    private static final DateTimeFormatter RFC3339 = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'").withZone(ZoneOffset.UTC);

    /** Where the time came from; {@link #key} is how {@code --output json} names it. */
    public enum Origin {
        SOURCE_DATE_EPOCH("SOURCE_DATE_EPOCH"),
        CI_COMMIT_TIMESTAMP("CI_COMMIT_TIMESTAMP"),
        GIT_COMMIT("git"),
        REPRODUCIBLE("reproducible"),
        CLOCK("clock");

        public final String key;

        Origin(String key) {
            this.key = key;
        }
    }

    public CreationTime {
        instant = instant.truncatedTo(ChronoUnit.SECONDS);
    }

    /** As the annotation holds it: RFC 3339 in UTC, whole seconds. */
    public String text() {
        return RFC3339.format(instant);
    }

    /**
     * An ISO 8601 / RFC 3339 time with an offset ({@code 2026-12-01T10:00:00Z}, {@code 2026-12-01T11:00:00+01:00},
     * fractions allowed), as {@link ArtifactMetadata#CREATED} and GitLab's {@code CI_COMMIT_TIMESTAMP} hold it; null when it is not one.
     */
    public static Instant parseTimestamp(String text) {
        if (text == null) return null;
        try {
            return OffsetDateTime.parse(text.strip(), DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** The log line: {@code created 2026-12-01T10:00:00Z from CI_COMMIT_TIMESTAMP}. */
    public String describe() {
        return "created " + text() + " from " + detail;
    }

    /**
     * Resolves the time as the class comment says.
     *
     * @param env          the environment (GitLab CI variables)
     * @param tree         the packaged directory or file (for standard input, the working directory); null: no Git lookup
     * @param reproducible {@code --reproducible}: content only
     * @param clock        the last resort
     */
    public static CreationTime resolve(Map<String, String> env, Path tree, boolean reproducible, Supplier<Instant> clock) {
        String epoch = set(env, SOURCE_DATE_EPOCH);
        if (epoch != null) return new CreationTime(fromEpoch(epoch), Origin.SOURCE_DATE_EPOCH, SOURCE_DATE_EPOCH);
        if (reproducible) return new CreationTime(Instant.EPOCH, Origin.REPRODUCIBLE, "--reproducible (no " + SOURCE_DATE_EPOCH + ": the Unix epoch)");
        String commitTime = set(env, CI_COMMIT_TIMESTAMP);
        if (commitTime != null) {
            Instant at = parseTimestamp(commitTime);
            if (at == null) {
                throw new UsageException(CI_COMMIT_TIMESTAMP + "='" + commitTime + "' is not an ISO 8601 time such as 2026-12-01T10:00:00Z or"
                        + " 2026-12-01T11:00:00+01:00: GitLab sets it so; remove what overrides it (a CI/CD variable, the job's variables:)"
                        + " or set " + SOURCE_DATE_EPOCH + " instead");
            }
            return new CreationTime(at, Origin.CI_COMMIT_TIMESTAMP, CI_COMMIT_TIMESTAMP);
        }
        String notReproducible = "the clock: not reproducible, every push gets its own digest (set " + SOURCE_DATE_EPOCH + " or "
                + CI_COMMIT_TIMESTAMP + ", or package from a Git work tree)";
        if (tree == null) return new CreationTime(clock.get(), Origin.CLOCK, notReproducible);
        WithoutSystemGitConfig.install();
        var git = new FileRepositoryBuilder().findGitDir(tree.toAbsolutePath().toFile());
        if (git.getGitDir() == null) return new CreationTime(clock.get(), Origin.CLOCK, notReproducible);
        try (Repository repository = git.setMustExist(true).build(); RevWalk walk = new RevWalk(repository)) {
            String where = repository.isBare() ? repository.getDirectory().toString() : repository.getWorkTree().toString();
            ObjectId head = repository.resolve(Constants.HEAD);
            if (head == null) {
                return new CreationTime(clock.get(), Origin.CLOCK, "the clock: not reproducible, the Git repository " + where + " has no commit yet");
            }
            RevCommit commit = walk.parseCommit(head);
            return new CreationTime(Instant.ofEpochSecond(commit.getCommitTime()), Origin.GIT_COMMIT,
                    "Git commit " + commit.getName().substring(0, 12) + " (HEAD of " + where + ")");
        } catch (IOException | RuntimeException e) {
            // Said on the log line, not thrown: packaging does not need Git, only this default does.
            return new CreationTime(clock.get(), Origin.CLOCK, "the clock: not reproducible, the Git repository at " + git.getGitDir()
                    + " cannot be read (" + Causes.describe(e) + ")");
        }
    }

    /** {@code SOURCE_DATE_EPOCH}'s value as an instant; a value that is not whole seconds is a usage error naming it. */
    public static Instant fromEpoch(String text) {
        String seconds = text.strip();
        try {
            if (seconds.matches("\\d{1,19}")) return Instant.ofEpochSecond(Long.parseLong(seconds));
        } catch (NumberFormatException | DateTimeException tooLarge) {
            // reported below, like any other value that is no time
        }
        throw new UsageException(SOURCE_DATE_EPOCH + "='" + text + "' is not a whole number of seconds since 1970-01-01 UTC"
                + " (for the commit's time: " + SOURCE_DATE_EPOCH + "=$(git log -1 --format=%ct)); unset it to take "
                + CI_COMMIT_TIMESTAMP + " or the Git commit's time");
    }

    /** A variable's value, or null when it is unset or empty (GitLab gives an unset variable as empty). */
    private static String set(Map<String, String> env, String name) {
        String value = env.get(name);
        return value == null || value.isBlank() ? null : value;
    }

    /**
     * JGit finds git's system config by running {@code git --version} and {@code git config --system --show-origin}:
     * two processes on every push, for a value (a commit's time) that no system setting changes. As git itself does
     * with {@code GIT_CONFIG_NOSYSTEM}, the system config is left out.
     */
    private static final class WithoutSystemGitConfig extends SystemReader.Delegate {
        private static boolean installed;

        private WithoutSystemGitConfig(SystemReader reader) {
            super(reader);
        }

        static synchronized void install() {
            if (!installed) {
                SystemReader.setInstance(new WithoutSystemGitConfig(SystemReader.getInstance()));
                installed = true;
            }
        }

        @Override
        public FileBasedConfig openSystemConfig(Config parent, FS fs) {
            return new FileBasedConfig(parent, null, fs) {
                @Override
                public void load() {
                    // nothing to read: what JGit's own reader does under GIT_CONFIG_NOSYSTEM
                }

                @Override
                public boolean isOutdated() {
                    return false;
                }
            };
        }
    }
}
