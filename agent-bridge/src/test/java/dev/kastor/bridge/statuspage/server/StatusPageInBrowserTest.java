package dev.kastor.bridge.statuspage.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.Bridge;
import dev.kastor.bridge.GitHttpServer;
import dev.kastor.bridge.Upstream;
import dev.kastor.bridge.config.server.ConfigServerModule;
import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.bridge.statuspage.StatusPageDefaults;
import dev.kastor.testing.Eventually;
import dev.kastor.testing.GitLabApiStandIn.PersonalAccessToken;
import dev.kastor.testing.GitLabApiStandIn.User;
import dev.kastor.testing.HeadlessChromium;
import dev.kastor.testing.Programs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;

/**
 * The status page in a real browser (headless Chromium) against a real KAS with two real agents, their configuration
 * files in a real Git server, GitLab as the API stand-in and an API server stand-in with Flux objects: signing in, both
 * agents with the refused file's message and the failing Kustomization's,
 * an agent shown disconnected within seconds of being killed without a reload, a person without access seeing no
 * agent, and a forged cookie getting the sign-in form. Screenshots of the views go to target/status-page/.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class StatusPageInBrowserTest {
    static final String CONFIG_PROJECT = "platform/agents";
    static final String OPERATOR_TOKEN = "operator-token-0123456789abcdef0123456789";
    static final Duration WITHIN = Duration.ofSeconds(30);
    static final Path SHOTS = Path.of("target", "status-page");

    @TempDir
    static Path dir;
    static GitHttpServer git;
    static Bridge bridge;
    static Upstream apiServer;
    static ProdAndStaging agents;
    static long prod;
    static long staging;
    static final List<FluxApiServer.Patch> patches = new java.util.concurrent.CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        git = GitHttpServer.start(Files.createDirectories(dir.resolve("git")));
        git.createRepo(CONFIG_PROJECT);
        git.commit(CONFIG_PROJECT, ".gitlab/agents/prod/config.yaml", "user_access:\n  access_as: {agent: {}}\n  projects:\n    - id: team/app\n");
        git.commit(CONFIG_PROJECT, ".gitlab/agents/staging/config.yaml", "user_access:\n  access_as: {agent: {}}\n  projects:\n    - id: team/app\n");
        Path kasToken = Files.writeString(dir.resolve("gitlab-api-token"), "kas-read-api-token\n");
        Path operatorToken = Files.writeString(dir.resolve("status-operator-token"), OPERATOR_TOKEN);
        bridge = Bridge.setup(Files.createDirectories(dir.resolve("kas")))
                .agentConfiguration(new KasConfig.AgentConfiguration(git.urlTemplate(), null, null, "1s", null, null, null))
                .apiTokenFile(kasToken)
                .statusPage(new KasConfig.StatusPage(operatorToken.toString(), null))
                .start();
        var gitlab = bridge.gitlab;
        gitlab.addProject(100, CONFIG_PROJECT);
        gitlab.addProject(501, "team/app");
        gitlab.addUser(new User(900, "kas-bot", "active"));
        gitlab.addPersonalAccessToken(new PersonalAccessToken("kas-read-api-token", 1, 900, List.of("read_api")));
        gitlab.addUser(new User(46, "erin", "active"));
        gitlab.addPersonalAccessToken(new PersonalAccessToken("erin-pat", 460, 46, List.of("k8s_proxy")));
        // dana may use the agents (Developer in team/app, which their user_access names) but is no member of team/secret
        gitlab.addProject(502, "team/secret");
        gitlab.addProject(503, "team/infra"); // the GitRepository's: a project with no external jobs
        gitlab.addUser(new User(47, "dana", "active"));
        gitlab.addPersonalAccessToken(new PersonalAccessToken("dana-pat", 470, 47, List.of("k8s_proxy")));
        gitlab.addMember("team/app", 47, 30);
        // what the pipeline steps post (kastor status set, kastor flux wait --report): the commits the cluster runs
        gitlab.addApiToken("team-app-api-token", "team/app");
        gitlab.addApiToken("team-secret-api-token", "team/secret");
        postStatus(gitlab, "team/app", "team-app-api-token", "b".repeat(40), "state=success&name=deploy%2Fprod&ref=main&description=rolled+out"
                + "&target_url=https%3A%2F%2Fgitlab.example.com%2Fteam%2Fapp%2F-%2Fenvironments%2F1");
        postStatus(gitlab, "team/secret", "team-secret-api-token", "c".repeat(40),
                "state=failed&name=flux%2Fkustomization%2Fflux-system%2Fpodinfo&ref=main&description=HealthCheckFailed");
        apiServer = FluxApiServer.start(new java.util.concurrent.atomic.AtomicInteger(), patches);
        agents = ProdAndStaging.start(bridge, CONFIG_PROJECT, apiServer);
        prod = agents.prod();
        staging = agents.staging();
        var configs = bridge.kas.module(ConfigServerModule.class).configurations();
        Eventually.until(Duration.ofSeconds(60), () -> "configurations loaded:\n" + bridge.logText(),
                () -> configs.current(prod).isPresent() && configs.current(staging).isPresent());
        // staging's newest file is refused: the page must say which file, which line and why
        git.commit(CONFIG_PROJECT, ".gitlab/agents/staging/config.yaml", "user_access:\n  access_as: {agent: {}}\n  projects:\n    - id: team/app\naccess_as:\n  root: {}\n");
        Eventually.until(Duration.ofSeconds(60), () -> "staging's refused file known:\n" + bridge.logText(), () -> configs.problem(staging).isPresent());
    }

    static void postStatus(dev.kastor.testing.GitLabApiStandIn gitlab, String project, String token, String sha, String form) throws Exception {
        var r = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(gitlab.apiV4Url() + "/projects/" + project.replace("/", "%2F") + "/statuses/" + sha))
                .header("PRIVATE-TOKEN", token).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(form)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    }

    @AfterAll
    static void stop() {
        if (agents != null) agents.close();
        Programs.closeAll(bridge, apiServer, git);
    }

    static String page() {
        return bridge.apiUrl() + StatusPageDefaults.PAGE_PATH;
    }

    static void signIn(HeadlessChromium browser, String token) {
        browser.open(page());
        browser.driver().findElement(By.id("token")).sendKeys(token);
        browser.clickAndWait(By.id("sign-in"));
    }

    static String row(HeadlessChromium browser, long agentId) {
        return browser.text("#agent-" + agentId);
    }

    /** The agent's connection state as its row shows it: connected, disconnected or unknown. */
    static String state(HeadlessChromium browser, long agentId) {
        return browser.text("#agent-" + agentId + " td.connection .state");
    }

    @Test
    void operatorSeesBothAgentsTheRefusedFileAndAKilledAgentGoDisconnectedWithoutReload() throws Exception {
        try (var browser = HeadlessChromium.start(1440, 1000)) {
            browser.open(page());
            browser.screenshot(SHOTS.resolve("sign-in.png"));
            signIn(browser, OPERATOR_TOKEN);

            assertThat(browser.driver().findElement(By.id("who")).getText()).isEqualTo("Signed in as operator");
            assertThat(state(browser, prod)).isEqualTo("connected");
            assertThat(state(browser, staging)).isEqualTo("connected");
            assertThat(row(browser, prod)).contains("prod", "Kubernetes v1.32.3", ".gitlab/agents/prod/config.yaml");
            Eventually.until(WITHIN, () -> "prod's Flux objects; row: " + row(browser, prod), () -> row(browser, prod).contains("BuildFailed"));
            assertThat(row(browser, prod)).contains("True OCIRepository flux-system/podinfo", "True Kustomization flux-system/podinfo",
                    "False Kustomization apps/broken", "BuildFailed: kustomization path not found: ./deploy");
            assertThat(row(browser, staging)).contains("staging",
                    ".gitlab/agents/staging/config.yaml, line 6", "unknown kind 'root'");
            String deployments = browser.text("#deployments-" + prod);
            assertThat(deployments).contains("web", "shop/kastor-inventory-web", "3 objects", "2026-12-07T10:00:00Z", "main@sha1:bbbb",
                    "oci://registry.example.com/team/app/manifests@sha256:2222", "bob", "1 earlier apply",
                    "ops/kastor-inventory-tools", "not the JSON array kastor kube apply writes");
            assertThat(browser.driver().findElements(By.cssSelector("#deployments-" + prod + " a[href^='javascript']")))
                    .as("a job URL from the cluster that is not http(s) is no link").isEmpty();
            assertThat(browser.driver().findElements(By.cssSelector("#deployments-" + prod + " a[href='https://gitlab.example.com/team/app/-/jobs/42']")))
                    .hasSize(1);
            browser.screenshot(SHOTS.resolve("agents.png"));
            browser.driver().executeScript("window.kastorNoReload = true");

            agents.prodAgent().close();

            Eventually.until(Duration.ofSeconds(10), () -> "prod shown disconnected; row: " + row(browser, prod),
                    () -> state(browser, prod).equals("disconnected"));
            assertThat(state(browser, staging)).isEqualTo("connected");
            assertThat(browser.driver().executeScript("return window.kastorNoReload === true")).as("the page was not reloaded").isEqualTo(true);
            browser.screenshot(SHOTS.resolve("agent-disconnected.png"));
        }
    }

    @Test
    void externalJobsOfTheCommitsTheClusterRunsShowNewestFirstToThoseWhoMayReadTheirProject() throws Exception {
        var operator = StatusPageClient.signIn(bridge.apiUrl(), OPERATOR_TOKEN);
        var dana = StatusPageClient.signIn(bridge.apiUrl(), "dana-pat");

        var all = Eventually.value(WITHIN, () -> "prod's external jobs for the operator", () -> operator.agent(prod).path("external_jobs"),
                e -> e.path("jobs").size() == 2);
        assertThat(all.path("jobs").valueStream().map(j -> j.path("project").asString() + " " + j.path("name").asString() + " " + j.path("status").asString())
                .toList()).as("newest first").containsExactly("team/secret flux/kustomization/flux-system/podinfo failed", "team/app deploy/prod success");
        assertThat(all.path("jobs").get(1).path("sha").asString()).isEqualTo("b".repeat(40));
        assertThat(all.path("jobs").get(1).path("description").asString()).isEqualTo("rolled out");
        assertThat(all.has("problems")).isFalse();
        var hers = Eventually.value(WITHIN, () -> "prod's external jobs for dana", () -> dana.agent(prod).path("external_jobs"),
                e -> e.path("jobs").size() == 1);
        assertThat(hers.path("jobs").get(0).path("name").asString()).as("not team/secret's, whose member she is not").isEqualTo("deploy/prod");

        try (var browser = HeadlessChromium.start(1440, 1000)) {
            signIn(browser, OPERATOR_TOKEN);
            Eventually.until(WITHIN, () -> "external jobs on the page", () -> browser.text("#external-jobs-" + prod).contains("deploy/prod"));
            assertThat(browser.text("#external-jobs-" + prod)).contains("success", "team/app@bbbbbbbb", "rolled out",
                    "flux/kustomization/flux-system/podinfo", "failed");
            assertThat(browser.driver().findElements(By.cssSelector("#external-jobs-" + prod
                    + " a[href='https://gitlab.example.com/team/app/-/environments/1']"))).hasSize(1);
            browser.driver().executeScript("document.getElementById(arguments[0]).scrollIntoView()", "deployments-" + prod);
            browser.screenshot(SHOTS.resolve("external-jobs.png"));
        }
    }

    @Test
    void reconcileButtonAsksFluxThroughTheTunnel() throws Exception {
        try (var browser = HeadlessChromium.start(1280, 720)) {
            signIn(browser, OPERATOR_TOKEN);
            Eventually.until(WITHIN, () -> "staging's Flux objects; row: " + row(browser, staging), () -> row(browser, staging).contains("apps/broken"));
            int before = patches.size();

            browser.submitAndWait("#agent-" + staging + " button[name=object][value='Kustomization/apps/broken']");

            assertThat(browser.driver().findElements(By.id("agents"))).as("back on the page").hasSize(1);
            assertThat(patches.subList(before, patches.size())).singleElement().satisfies(p -> {
                assertThat(p.path()).isEqualTo("/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/apps/kustomizations/broken");
                assertThat(p.contentType()).isEqualTo("application/merge-patch+json");
                assertThat(p.body()).contains("\"reconcile.fluxcd.io/requestedAt\"");
                assertThat(p.impersonated()).as("an operator acts as the agent").isFalse();
            });
        }
    }

    @Test
    void wrongTokenShowsTheReasonOnTheSignInPage() {
        try (var browser = HeadlessChromium.start(1024, 600)) {
            signIn(browser, "glpat-wrong-token-0815");

            String message = browser.driver().findElement(By.id("message")).getText();
            assertThat(message).contains("not the operator token").doesNotContain("glpat-wrong-token-0815");
            assertThat(browser.driver().findElements(By.id("agents"))).isEmpty();
        }
    }

    @Test
    void personWithoutAccessSeesNoAgent() {
        try (var browser = HeadlessChromium.start(1024, 600)) {
            signIn(browser, "erin-pat");

            assertThat(browser.driver().findElement(By.id("who")).getText()).isEqualTo("Signed in as GitLab user erin");
            assertThat(browser.driver().findElement(By.id("no-agents")).isDisplayed()).isTrue();
            assertThat(browser.text()).doesNotContain("prod").doesNotContain("staging").doesNotContain(CONFIG_PROJECT);
        }
    }

    @Test
    void forgedCookieGetsTheSignInFormAndSignOutEndsTheSession() {
        try (var browser = HeadlessChromium.start(1024, 600)) {
            browser.open(page());
            browser.driver().manage().addCookie(new Cookie(StatusPageDefaults.COOKIE, "forged-session-id-forged-session-id-forged-1"));
            browser.open(page());
            assertThat(browser.driver().findElements(By.id("token"))).hasSize(1);
            assertThat(browser.text()).doesNotContain("prod");

            signIn(browser, OPERATOR_TOKEN);
            assertThat(browser.driver().findElements(By.id("agents"))).hasSize(1);
            browser.clickAndWait(By.id("sign-out"));

            assertThat(browser.driver().findElements(By.id("token"))).hasSize(1);
            browser.open(page());
            assertThat(browser.driver().findElements(By.id("token"))).as("still signed out after a reload").hasSize(1);
        }
    }
}
