package dev.kastor.oci.flux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kastor.oci.UsageException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.TimeZone;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.revwalk.RevCommit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CreationTimeTest {
    private static final Instant CLOCK = Instant.parse("2031-01-02T03:04:05.678Z");
    private static final Instant COMMITTED = Instant.parse("2024-05-06T07:08:09Z");

    @TempDir
    Path tmp;

    /** A Git repository at {@code tmp/repo} whose HEAD was committed at {@link #COMMITTED} (authored a year earlier). */
    private RevCommit commitDeployTree() throws Exception {
        Path repo = tmp.resolve("repo");
        Files.createDirectories(repo.resolve("deploy"));
        Files.writeString(repo.resolve("deploy/app.yaml"), "kind: ConfigMap\n");
        try (Git git = Git.init().setDirectory(repo.toFile()).setInitialBranch("main").call()) {
            git.add().addFilepattern(".").call();
            var author = new PersonIdent("A", "a@example.com", COMMITTED.minusSeconds(365 * 86400), TimeZone.getTimeZone("UTC").toZoneId());
            var committer = new PersonIdent("C", "c@example.com", COMMITTED, TimeZone.getTimeZone("Europe/Paris").toZoneId());
            return git.commit().setMessage("deploy").setAuthor(author).setCommitter(committer).setSign(false).call();
        }
    }

    private static CreationTime resolve(Map<String, String> env, Path tree, boolean reproducible) {
        return CreationTime.resolve(env, tree, reproducible, () -> CLOCK);
    }

    @Test
    void inAGitWorkTreeWithoutVariablesItIsTheCommitTimeOfHead() throws Exception {
        RevCommit head = commitDeployTree();

        var created = resolve(Map.of(), tmp.resolve("repo/deploy"), false);

        // The committer date, as GitLab's CI_COMMIT_TIMESTAMP gives it: a laptop and CI agree on the same commit.
        assertThat(created.instant()).isEqualTo(COMMITTED);
        assertThat(created.origin()).isEqualTo(CreationTime.Origin.GIT_COMMIT);
        assertThat(created.describe()).isEqualTo("created 2024-05-06T07:08:09Z from Git commit " + head.getName().substring(0, 12)
                + " (HEAD of " + tmp.resolve("repo") + ")");
    }

    @Test
    void ciCommitTimestampWinsOverGitAndItsOffsetIsHonoured() throws Exception {
        commitDeployTree();

        var created = resolve(Map.of("CI_COMMIT_TIMESTAMP", "2026-12-01T11:00:00+01:00"), tmp.resolve("repo/deploy"), false);

        assertThat(created.text()).isEqualTo("2026-12-01T10:00:00Z");
        assertThat(created.describe()).isEqualTo("created 2026-12-01T10:00:00Z from CI_COMMIT_TIMESTAMP");
    }

    @Test
    void sourceDateEpochWinsOverEverything() throws Exception {
        commitDeployTree();
        var env = Map.of("SOURCE_DATE_EPOCH", "1700000000", "CI_COMMIT_TIMESTAMP", "2026-12-01T10:00:00Z");

        assertThat(resolve(env, tmp.resolve("repo/deploy"), false).describe()).isEqualTo("created 2023-11-14T22:13:20Z from SOURCE_DATE_EPOCH");
        assertThat(resolve(env, tmp.resolve("repo/deploy"), true).origin()).isEqualTo(CreationTime.Origin.SOURCE_DATE_EPOCH);
    }

    @Test
    void reproducibleIsContentOnlyWhateverTheCommit() throws Exception {
        commitDeployTree();

        var created = resolve(Map.of("CI_COMMIT_TIMESTAMP", "2026-12-01T10:00:00Z"), tmp.resolve("repo/deploy"), true);

        assertThat(created.instant()).isEqualTo(Instant.EPOCH);
        assertThat(created.origin()).isEqualTo(CreationTime.Origin.REPRODUCIBLE);
    }

    @Test
    void outsideGitItIsTheClockAndSaysItIsNotReproducible() throws Exception {
        Files.createDirectories(tmp.resolve("plain"));

        var created = resolve(Map.of("SOURCE_DATE_EPOCH", " ", "CI_COMMIT_TIMESTAMP", ""), tmp.resolve("plain"), false);

        assertThat(created.instant()).as("empty variables are unset").isEqualTo(Instant.parse("2031-01-02T03:04:05Z"));
        assertThat(created.origin()).isEqualTo(CreationTime.Origin.CLOCK);
        assertThat(created.describe()).contains("from the clock: not reproducible", "SOURCE_DATE_EPOCH", "CI_COMMIT_TIMESTAMP", "Git work tree");
    }

    @Test
    void aRepositoryWithoutCommitsGivesTheClockAndSaysWhy() throws Exception {
        Git.init().setDirectory(tmp.resolve("fresh").toFile()).call().close();

        var created = resolve(Map.of(), tmp.resolve("fresh"), false);

        assertThat(created.origin()).isEqualTo(CreationTime.Origin.CLOCK);
        assertThat(created.detail()).contains("no commit yet");
    }

    @ParameterizedTest
    @ValueSource(strings = {"yesterday", "-5", "1.5", "17e8", "99999999999999999999"})
    void aSourceDateEpochThatIsNoNumberOfSecondsIsAUsageErrorNamingIt(String value) {
        assertThatThrownBy(() -> resolve(Map.of("SOURCE_DATE_EPOCH", value, "CI_COMMIT_TIMESTAMP", "2026-12-01T10:00:00Z"), tmp, false))
                .isInstanceOf(UsageException.class).hasMessageStartingWith("SOURCE_DATE_EPOCH='" + value + "' is not a whole number of seconds")
                .hasMessageContaining("git log -1 --format=%ct");
    }

    @ParameterizedTest
    @ValueSource(strings = {"yesterday", "2026-12-01", "2026-12-01T10:00:00", "1700000000"})
    void aCiCommitTimestampThatIsNoIsoTimeIsAUsageErrorNamingIt(String value) {
        assertThatThrownBy(() -> resolve(Map.of("CI_COMMIT_TIMESTAMP", value), tmp, false))
                .isInstanceOf(UsageException.class).hasMessageStartingWith("CI_COMMIT_TIMESTAMP='" + value + "' is not an ISO 8601 time");
    }
}
