package dev.kastor.steps.kube;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.Bridge;
import dev.kastor.bridge.GitHttpServer;
import dev.kastor.bridge.agentapp.Agent;
import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.steps.Artifacts;
import dev.kastor.steps.KastorRun;
import dev.kastor.testing.Eventually;
import dev.kastor.testing.GitLabApiStandIn;
import dev.kastor.testing.HeadlessChromium;
import dev.kastor.testing.Programs;
import dev.kastor.testing.kube.KubeStandIn;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;

/**
 * What {@code kastor kube apply} deploys, seen on KAS's status page in a real browser (headless Chromium): a CI job's
 * apply goes through a real KAS and agent, with the KUBECONFIG {@code kastor kube kubeconfig} writes as GitLab would,
 * into the Kubernetes API stand-in (the inventory goes to the context's namespace, default); the page reads the inventory back through the agent's tunnel and shows the applied
 * revision, who ran the job and its link, the external job the job posted on its commit ({@code kastor status set}, read
 * from the GitLab stand-in with KAS's own token), and, after a second apply, the new revision and its job's status
 * without a reload.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class DeploymentsOnTheStatusPageTest {
    static final String JOB_TOKEN = "deploy-job-token-0815";
    static final String OPERATOR_TOKEN = "operator-token-0123456789abcdef0123456789";
    static final String SHA_A = "a".repeat(40);
    static final String SHA_B = "b".repeat(40);
    static final Duration WITHIN = Duration.ofSeconds(30);
    static final String KAS_GITLAB_TOKEN = "kas-read-api-token-4711";
    static final String STATUS_TOKEN = "team-shop-api-token-0815";

    @TempDir
    static Path dir;
    static KubeStandIn kube;
    static GitHttpServer git;
    static Bridge bridge;
    static Agent agent;
    static long agentId;
    static Path kubeconfig;

    @BeforeAll
    static void start() throws Exception {
        kube = KubeStandIn.start();
        git = GitHttpServer.start(Files.createDirectories(dir.resolve("git")));
        git.createRepo("platform/agents");
        git.commit("platform/agents", ".gitlab/agents/prod/config.yaml", "ci_access:\n  projects:\n    - id: team/shop\n");
        Path operatorToken = Files.writeString(dir.resolve("operator-token"), OPERATOR_TOKEN);
        bridge = Bridge.setup(Files.createDirectories(dir.resolve("kas")))
                .agentConfiguration(new KasConfig.AgentConfiguration(git.urlTemplate(), null, null, "1s", null, null, null))
                .apiTokenFile(Files.writeString(dir.resolve("kas-gitlab-token"), KAS_GITLAB_TOKEN))
                .statusPage(new KasConfig.StatusPage(operatorToken.toString(), null))
                .start();
        var registered = bridge.register("platform/agents", "prod");
        agentId = registered.agent().id();
        bridge.job(JOB_TOKEN, 4242, 77, "team/shop", agentId);
        // KAS reads commit statuses with its own read_api token; the job posts them with a project token (api scope)
        bridge.gitlab.addProject(77, "team/shop");
        bridge.gitlab.addUser(new GitLabApiStandIn.User(900, "kas-bot", "active"));
        bridge.gitlab.addPersonalAccessToken(new GitLabApiStandIn.PersonalAccessToken(KAS_GITLAB_TOKEN, 1, 900, List.of("read_api")));
        bridge.gitlab.addApiToken(STATUS_TOKEN, "77");
        agent = bridge.startAgent(registered.token(), URI.create(kube.url()), kube.sslContext(), JsonLog.quiet());
        bridge.awaitConnected(agentId);
        kubeconfig = dir.resolve("kubeconfig");
        var written = KastorRun.in(dir).env(Map.of("CI_JOB_TOKEN", JOB_TOKEN, "KASTOR_KAS_API_URL", bridge.apiUrl().toString()))
                .run("kube", "kubeconfig", "--file", kubeconfig.toString());
        assertThat(written.exit()).as(written.toString()).isZero();
    }

    @AfterAll
    static void stop() {
        Programs.closeAll(agent, bridge, git, kube);
    }

    /** kube apply in a CI job of team/shop at commit {@code sha}, run by {@code user}, through KAS. */
    static void apply(Path manifests, String sha, long jobId, String user) {
        var r = KastorRun.in(dir).env(Map.of("KUBECONFIG", kubeconfig.toString(), "CI_COMMIT_REF_NAME", "main", "CI_COMMIT_SHA", sha,
                        "CI_JOB_URL", "https://gitlab.example.com/team/shop/-/jobs/" + jobId, "GITLAB_USER_LOGIN", user))
                .run("kube", "apply", manifests.toString(), "-n", "shop", "--inventory", "web", "--prune");
        assertThat(r.exit()).as(r.toString()).isZero();
    }

    /** kastor status set in the same job: an external job on the commit, as a deploy job reports its rollout. */
    static void reportStatus(String sha, long jobId, String state, String description) {
        var r = KastorRun.in(dir).env(Map.of("CI_API_V4_URL", bridge.gitlab.apiV4Url(), "CI_PROJECT_ID", "77", "CI_COMMIT_SHA", sha,
                        "CI_COMMIT_REF_NAME", "main", "CI_JOB_URL", "https://gitlab.example.com/team/shop/-/jobs/" + jobId,
                        "KASTOR_GITLAB_TOKEN", STATUS_TOKEN))
                .run("status", "set", "--state", state, "--name", "deploy/prod", "--description", description);
        assertThat(r.exit()).as(r.toString()).isZero();
    }

    static String deployment(HeadlessChromium browser) {
        return browser.text("#deployment-" + agentId + "-default_web");
    }

    @Test
    void theAppliedRevisionShowsWithItsJobAndASecondApplyReplacesItWithoutReload() throws Exception {
        Path manifests = Artifacts.write(dir.resolve("deploy"), Map.of(
                "web.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  version: v1\n",
                "extra.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata:\n  k: v\n"));
        apply(manifests, SHA_A, 101, "alice");
        reportStatus(SHA_A, 101, "success", "first rollout");

        try (var browser = HeadlessChromium.start(1440, 900)) {
            browser.open(bridge.apiUrl() + "/status");
            browser.driver().findElement(By.id("token")).sendKeys(OPERATOR_TOKEN);
            browser.clickAndWait(By.id("sign-in"));
            Eventually.until(WITHIN, () -> "the first apply on the page:\n" + browser.text(),
                    () -> deployment(browser).contains("main@sha1:" + SHA_A.substring(0, 12)));
            assertThat(deployment(browser)).contains("web", "default/kastor-inventory-web", "2 objects", "documents sha256:", "alice", "job #101");
            assertThat(browser.driver().findElements(By.cssSelector("#deployment-" + agentId + "-default_web a[href='https://gitlab.example.com/team/shop/-/jobs/101']")))
                    .hasSize(1);
            Eventually.until(WITHIN, () -> "the job's status on the page:\n" + browser.text(),
                    () -> browser.text("#external-jobs-" + agentId).contains("first rollout"));
            assertThat(browser.text("#external-jobs-" + agentId)).contains("deploy/prod", "success", "team/shop@aaaaaaaa");
            browser.driver().executeScript("window.kastorNoReload = true");

            Files.delete(manifests.resolve("extra.yaml"));
            Artifacts.write(manifests, Map.of("web.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  version: v2\n"));
            apply(manifests, SHA_B, 102, "bob");
            reportStatus(SHA_B, 102, "failed", "second rollout timed out");

            Eventually.until(WITHIN, () -> "the second apply on the page:\n" + browser.text(),
                    () -> deployment(browser).contains("main@sha1:" + SHA_B.substring(0, 12)));
            assertThat(deployment(browser)).contains("1 object", "bob", "job #102").doesNotContain("alice");
            assertThat(browser.text()).contains("1 earlier apply");
            Eventually.until(WITHIN, () -> "the second job's status on the page:\n" + browser.text(),
                    () -> browser.text("#external-jobs-" + agentId).contains("second rollout timed out"));
            assertThat(browser.text("#external-jobs-" + agentId)).as("the current apply's commit only").contains("failed", "team/shop@bbbbbbbb")
                    .doesNotContain("first rollout");
            assertThat(browser.driver().executeScript("return window.kastorNoReload === true")).as("the page was not reloaded").isEqualTo(true);
            browser.screenshot(Path.of("target", "status-page", "deployments.png"));
        }
    }
}
