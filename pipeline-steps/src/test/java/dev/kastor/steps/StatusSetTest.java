package dev.kastor.steps;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.testing.GitLabApiStandIn;
import dev.kastor.testing.Programs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kastor status set} against the GitLab API stand-in (GitLab's documented commit status API). */
class StatusSetTest {
    private static final String TOKEN = "glpat-api-s3cr3t-4242";
    private static GitLabApiStandIn gitlab;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        gitlab = GitLabApiStandIn.start();
        gitlab.addApiToken(TOKEN, "31");
    }

    @AfterAll
    static void stop() {
        if (gitlab != null) gitlab.close();
    }

    private KastorRun ci(String sha) {
        var env = new HashMap<String, String>();
        env.put("CI_API_V4_URL", gitlab.apiV4Url());
        env.put("CI_PROJECT_ID", "31");
        env.put("CI_COMMIT_SHA", sha);
        env.put("CI_COMMIT_REF_NAME", "main");
        env.put("CI_PIPELINE_ID", "812");
        env.put("CI_JOB_URL", "https://gitlab.example.com/bars/app/-/jobs/9");
        env.put("CI_ENVIRONMENT_URL", "https://app.example.com");
        env.put("CI_JOB_TOKEN", "job-token-not-for-statuses");
        return KastorRun.in(tmp).env(env);
    }

    @Test
    void postsOneStatusWithCiDefaultsAndTheEnvironmentUrl() {
        String sha = "1".repeat(40);
        var r = ci(sha).env("KASTOR_GITLAB_TOKEN", TOKEN).run("status", "set", "--state", "success", "--name", "deploy/prod", "--description", "rolled out");

        assertThat(r.exit()).as(r.toString()).isZero();
        var s = gitlab.statuses().stream().filter(x -> x.sha().equals(sha)).toList();
        assertThat(s).hasSize(1);
        assertThat(s.get(0).state()).isEqualTo("success");
        assertThat(s.get(0).name()).isEqualTo("deploy/prod");
        assertThat(s.get(0).ref()).isEqualTo("main");
        assertThat(s.get(0).pipelineId()).isEqualTo("812");
        assertThat(s.get(0).targetUrl()).isEqualTo("https://app.example.com");
        assertThat(s.get(0).description()).isEqualTo("rolled out");
        assertThat(r.out() + r.err()).doesNotContain(TOKEN);
    }

    @Test
    void theSameStateTwiceIsNotAnErrorAndIsNotRecordedTwice() {
        String sha = "2".repeat(40);
        var first = ci(sha).env("KASTOR_GITLAB_TOKEN", TOKEN).run("status", "set", "--state", "running", "--name", "n");
        var again = ci(sha).env("KASTOR_GITLAB_TOKEN", TOKEN).run("status", "set", "--state", "running", "--name", "n", "--output", "json");

        assertThat(first.exit()).as(first.toString()).isZero();
        assertThat(again.exit()).as(again.toString()).isZero();
        assertThat(again.json().get("recorded").asBoolean()).isFalse();
        assertThat(gitlab.statuses().stream().filter(x -> x.sha().equals(sha)).toList()).hasSize(1);
    }

    @Test
    void retriesOn503And429() {
        String sha = "3".repeat(40);
        gitlab.failNextStatusPosts(1, 503);
        var r1 = ci(sha).env("KASTOR_GITLAB_TOKEN", TOKEN).run("status", "set", "--state", "pending", "--name", "retry");
        gitlab.failNextStatusPosts(1, 429);
        var r2 = ci(sha).env("KASTOR_GITLAB_TOKEN", TOKEN).run("status", "set", "--state", "success", "--name", "retry");

        assertThat(r1.exit()).as(r1.toString()).isZero();
        assertThat(r1.err()).as("a retry is announced, never silent").contains("GitLab answered 503", "attempt 2 of 5 in ");
        assertThat(r2.exit()).as(r2.toString()).isZero();
        assertThat(gitlab.statuses().stream().filter(x -> x.sha().equals(sha)).map(GitLabApiStandIn.CommitStatus::state)).containsExactly("pending", "success");
    }

    @Test
    void unreachableGitLabFailsAtOnceNamingTheAddressAndTheKindOfFailure() {
        String api = "http://127.0.0.1:" + Programs.freePort() + "/api/v4"; // nothing listens there
        long start = System.nanoTime(); // measured on purpose: failing at once, without silent retries, is the behaviour
        var r = ci("7".repeat(40)).env("KASTOR_GITLAB_TOKEN", TOKEN).env("CI_API_V4_URL", api).run("status", "set", "--state", "success", "--name", "x");
        long millis = (System.nanoTime() - start) / 1_000_000;

        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).as(r.toString()).contains("cannot reach GitLab at " + api + ": connection refused (ConnectException)", "CI_API_V4_URL")
                .doesNotContain("null");
        assertThat(millis).as("a refused connection is an answer: no silent retries").isLessThan(3000);
    }

    @Test
    void withoutAnApiTokenItSaysTheJobTokenCannotPostStatuses() {
        var r = ci("4".repeat(40)).run("status", "set", "--state", "success", "--name", "x");

        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("CI_JOB_TOKEN cannot post", "KASTOR_GITLAB_TOKEN", "api scope", "--token-file");
        assertThat(gitlab.statuses().stream().filter(x -> x.sha().equals("4".repeat(40)))).isEmpty();
    }

    @Test
    void aRefusedTokenIsExplainedNotJustA401() throws Exception {
        Path file = Files.writeString(tmp.resolve("token"), "glpat-wrong-token\n");
        var r = ci("5".repeat(40)).run("status", "set", "--state", "success", "--name", "x", "--token-file", file.toString());

        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("401 Unauthorized", "--token-file", "invalid, expired or revoked", "api scope");
        assertThat(r.err()).doesNotContain("glpat-wrong-token");
    }

    @Test
    void anUnknownStateIsRefused() {
        var r = ci("6".repeat(40)).env("KASTOR_GITLAB_TOKEN", TOKEN).run("status", "set", "--state", "done", "--name", "x");

        assertThat(r.exit()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).contains("pending, running, success, failed, canceled");
    }
}
