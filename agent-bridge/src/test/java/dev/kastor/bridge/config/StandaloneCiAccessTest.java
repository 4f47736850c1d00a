package dev.kastor.bridge.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.Bridge;
import dev.kastor.bridge.GitHttpServer;
import dev.kastor.bridge.Upstream;
import dev.kastor.bridge.agentapp.Agent;
import dev.kastor.bridge.config.agent.ConfigAgentModule;
import dev.kastor.bridge.config.server.ConfigServerModule;
import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.testing.Eventually;
import dev.kastor.testing.GitLabApiStandIn;
import dev.kastor.testing.Programs;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code ci_access_mode: standalone}: the agent's own ci_access (from a real Git server) decides which jobs may use
 * it; GitLab (the API stand-in) only identifies the job through {@code GET /api/v4/job}. The stand-in's jobs list no
 * allowed agents at all, so anything that gets through was let through by the config file.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class StandaloneCiAccessTest {
    static final String PROJECT = "platform/agents";
    static final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    static Path dir;
    static GitHttpServer git;
    static Bridge bridge;
    static Upstream upstream;
    static Agent agent;
    static long agentId;
    static long unloadedAgentId;

    @BeforeAll
    static void start() throws Exception {
        upstream = new Upstream().handle("/api/v1/pods", ex -> Upstream.send(ex, 200, "application/json", "{\"kind\":\"PodList\"}".getBytes(StandardCharsets.UTF_8)));
        git = GitHttpServer.start(Files.createDirectories(dir.resolve("git")));
        git.createRepo(PROJECT);
        String commit = git.commit(PROJECT, ".gitlab/agents/prod/config.yaml", """
                ci_access:
                  projects:
                    - id: team/app
                      default_namespace: apps
                  groups:
                    - id: team/services
                      access_as:
                        ci_job: {}
                access_as:
                  impersonate:
                    username: deployer
                    groups: [deployers]
                default_namespace: default-ns
                """);
        bridge = new Bridge(Files.createDirectories(dir.resolve("kas")), null,
                new KasConfig.AgentConfiguration(git.urlTemplate(), null, null, "1s", null, null, null), KasConfig.CI_ACCESS_STANDALONE);
        var reg = bridge.register(PROJECT, "prod");
        agentId = reg.agent().id();
        unloadedAgentId = bridge.register(PROJECT, "no-file-yet").agent().id();
        agent = bridge.startAgent(reg.token(), upstream.url());
        bridge.awaitConnected(agentId);
        var configs = bridge.kas.module(ConfigServerModule.class).configurations();
        Eventually.until(Duration.ofSeconds(60), () -> "config " + commit + " loaded:\n" + bridge.logText(),
                () -> configs.current(agentId).isPresent() && agent.module(ConfigAgentModule.class).current().isPresent());
        job("listed-job", 11, 501, "team/app");
        job("group-job", 12, 502, "team/services/billing/api");
        job("foreign-job", 13, 503, "team/services-evil/app");
        job("other-foreign-job", 14, 504, "team/application");
    }

    /** A running job GitLab knows; it lists no allowed agents (standalone mode must not need them). */
    static void job(String token, long jobId, long projectId, String path) {
        bridge.gitlab.addJob(new GitLabApiStandIn.Job(token, jobId, projectId, path, 9000 + jobId, List.of(10L), 42, "alice", null, null, List.of()));
    }

    @AfterAll
    static void stop() {
        Programs.closeAll(agent, bridge, upstream, git);
    }

    static HttpResponse<String> get(String jobToken, long agent, String path) throws Exception {
        var r = HttpRequest.newBuilder(URI.create(bridge.proxyUrl() + path)).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer ci:" + agent + ":" + jobToken).build();
        return client.send(r, HttpResponse.BodyHandlers.ofString());
    }

    static Upstream.Seen lastSeen() {
        return upstream.seen.getLast();
    }

    @Test
    void standaloneJobOfListedProjectReachesTheCluster() throws Exception {
        var r = get("listed-job", agentId, "/api/v1/pods");

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).contains("PodList");
        // The project entry has no access_as: the top-level one applies.
        assertThat(lastSeen().headers().get("Impersonate-user")).containsExactly("deployer");
        assertThat(lastSeen().headers().get("Impersonate-group")).containsExactly("deployers");
        assertThat(bridge.gitlab.requests()).contains("GET /api/v4/job").doesNotContain("GET /api/v4/job/allowed_agents");
    }

    @Test
    void standaloneJobOfProjectInListedGroupIsAllowed() throws Exception {
        var r = get("group-job", agentId, "/api/v1/pods");

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        // The group entry's access_as (ci_job) wins over the top-level impersonate.
        var h = lastSeen().headers();
        assertThat(h.get("Impersonate-user")).containsExactly("gitlab:ci_job:12");
        assertThat(h.get("Impersonate-group")).containsExactlyInAnyOrder("gitlab:ci_job", "gitlab:project:502");
        assertThat(h.get("Impersonate-extra-agent.gitlab.com%2fproject_id")).containsExactly("502");
        assertThat(h.get("Impersonate-extra-agent.gitlab.com%2fci_pipeline_id")).containsExactly("9012");
        assertThat(h.get("Impersonate-extra-agent.gitlab.com%2fusername")).containsExactly("alice");
    }

    @Test
    void standaloneJobOfForeignProjectGets403AndNothingReachesUpstream() throws Exception {
        int before = upstream.seen.size();
        for (String token : List.of("foreign-job", "other-foreign-job")) {
            var r = get(token, agentId, "/api/v1/pods");

            assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
            JsonNode status = JSON.readTree(r.body());
            assertThat(status.path("kind").asString()).isEqualTo("Status");
            assertThat(status.path("message").asString()).contains("is not allowed to use agent " + agentId, "ci_access",
                    ".gitlab/agents/prod/config.yaml", PROJECT);
        }
        assertThat(upstream.seen).hasSize(before);
    }

    @Test
    void agentWhoseConfigIsNotLoadedGets503SayingSo() throws Exception {
        var r = get("listed-job", unloadedAgentId, "/api/v1/pods");

        assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
        assertThat(JSON.readTree(r.body()).path("message").asString()).contains("not loaded yet", ".gitlab/agents/no-file-yet/config.yaml");
    }

    @Test
    void jobAgentsEndpointListsAgentsInStandaloneMode() throws Exception {
        var listed = agents("listed-job");
        assertThat(listed.statusCode()).as(listed.body()).isEqualTo(200);
        JsonNode body = JSON.readTree(listed.body());
        assertThat(body.path("k8s_proxy_url").asString()).isEqualTo(bridge.proxyUrl());
        assertThat(body.path("agents")).hasSize(1);
        JsonNode a = body.path("agents").get(0);
        assertThat(a.path("id").asLong()).isEqualTo(agentId);
        assertThat(a.path("config_project").asString()).isEqualTo(PROJECT);
        assertThat(a.path("name").asString()).isEqualTo("prod");
        assertThat(a.path("default_namespace").asString()).isEqualTo("apps");

        JsonNode group = JSON.readTree(agents("group-job").body());
        assertThat(group.path("agents").get(0).path("default_namespace").asString()).as("top-level default_namespace").isEqualTo("default-ns");

        assertThat(JSON.readTree(agents("foreign-job").body()).path("agents")).isEmpty();
        assertThat(agents("no-such-job").statusCode()).isEqualTo(401);
    }

    static HttpResponse<String> agents(String jobToken) throws Exception {
        var r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + bridge.kas.apiPort() + "/api/v1/job/agents"))
                .timeout(Duration.ofSeconds(30)).header("JOB-TOKEN", jobToken).build();
        return client.send(r, HttpResponse.BodyHandlers.ofString());
    }
}
