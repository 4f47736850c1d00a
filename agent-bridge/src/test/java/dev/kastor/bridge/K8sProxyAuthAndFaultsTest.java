package dev.kastor.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.agentapp.Agent;
import dev.kastor.bridge.agents.Hashes;
import dev.kastor.testing.Eventually;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Who may use an agent, and what a client sees when the agent is missing or dies mid-request: a Status, never a hang. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class K8sProxyAuthAndFaultsTest {
    @TempDir
    static Path dir;
    static Bridge bridge;
    static Upstream upstream;
    static Agent agent;
    static long agentId;
    static long otherAgentId;
    static final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static final JsonMapper JSON = JsonMapper.builder().build();
    static final CountDownLatch never = new CountDownLatch(1);

    @BeforeAll
    static void start() throws Exception {
        upstream = new Upstream()
                .handle("/api/v1/pods", ex -> Upstream.send(ex, 200, "application/json", "{}".getBytes(StandardCharsets.UTF_8)))
                .handle("/hang-after-first-chunk", ex -> {
                    try (ex) {
                        ex.sendResponseHeaders(200, 0);
                        OutputStream out = ex.getResponseBody();
                        out.write("first\n".getBytes(StandardCharsets.UTF_8));
                        out.flush();
                        never.await(120, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
        bridge = new Bridge(dir);
        var reg = bridge.register("group/project", "prod");
        agentId = reg.agent().id();
        otherAgentId = bridge.register("other/project", "staging").agent().id();
        bridge.job("good-job", 1, 77, "group/app", agentId);
        bridge.job("foreign-job", 2, 99, "foreign/app", otherAgentId);
        agent = bridge.startAgent(reg.token(), upstream.url());
        bridge.awaitConnected(agentId);
    }

    @AfterAll
    static void stop() {
        never.countDown();
        if (agent != null) agent.close();
        if (bridge != null) bridge.close();
        if (upstream != null) upstream.close();
    }

    static HttpResponse<String> get(String authorization, String path) throws Exception {
        var b = HttpRequest.newBuilder(URI.create(bridge.proxyUrl() + path)).timeout(Duration.ofSeconds(60));
        if (authorization != null) b.header("Authorization", authorization);
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode status(HttpResponse<String> r) {
        assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
        JsonNode s = JSON.readTree(r.body());
        assertThat(s.path("kind").asString()).isEqualTo("Status");
        assertThat(s.path("code").asInt()).isEqualTo(r.statusCode());
        return s;
    }

    @Test
    void unknownJobTokenGets401AndNothingReachesTheUpstream() throws Exception {
        int before = upstream.seen.size();
        var r = get("Bearer ci:" + agentId + ":no-such-job", "/api/v1/pods");

        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(status(r).path("reason").asString()).isEqualTo("Unauthorized");
        assertThat(r.body()).doesNotContain("no-such-job");
        assertThat(upstream.seen).hasSize(before);
    }

    @Test
    void missingOrMalformedBearerGets401() throws Exception {
        assertThat(get(null, "/api/v1/pods").statusCode()).isEqualTo(401);
        var r = get("Bearer good-job", "/api/v1/pods");
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(status(r).path("message").asString()).contains("ci:<agent id>:<job token>");
    }

    @Test
    void jobFromForeignProjectGets403() throws Exception {
        int before = upstream.seen.size();
        var r = get("Bearer ci:" + agentId + ":foreign-job", "/api/v1/pods");

        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(status(r).path("message").asString()).contains("not allowed to use agent " + agentId);
        assertThat(upstream.seen).hasSize(before);
    }

    @Test
    void allowedAgentThatIsNotConnectedGets503AtOnce() throws Exception {
        var r = get("Bearer ci:" + otherAgentId + ":foreign-job", "/api/v1/pods");

        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(status(r).path("message").asString()).contains("not connected");
    }

    @Test
    void revokedAgentCannotConnectAndItsJobsGet503() throws Exception {
        var reg = bridge.register("group/project", "revoked");
        bridge.job("revoked-job", 3, 77, "group/app", reg.agent().id());
        assertThat(bridge.kas.agents().revoke(reg.agent().id())).isTrue();
        try (Agent revoked = bridge.startAgent(reg.token(), upstream.url())) {
            // It tried and was turned away: KAS logs the refusal with the first 8 hex digits of the token's SHA-256.
            String refused = Hashes.sha256(reg.token()).substring(0, 8);
            Eventually.until(Duration.ofSeconds(20), () -> "KAS refused the revoked agent's token:\n" + bridge.logText(), () -> bridge.logText().contains(refused));
            assertThat(bridge.kas.tunnels().connected(reg.agent().id())).isFalse();
            var r = get("Bearer ci:" + reg.agent().id() + ":revoked-job", "/api/v1/pods");
            assertThat(r.statusCode()).isEqualTo(503);
        }
    }

    @Test
    void pathOutsideTheProxyPrefixIs404StatusThatShowsKubectlRawUsersThePath() throws Exception {
        var r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + bridge.kas.k8sProxyPort() + "/api/v1/pods"))
                .header("Authorization", "Bearer ci:" + agentId + ":good-job").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(status(r).path("message").asString()).contains("/k8s-proxy/")
                .contains("kubectl get --raw, name the prefix: --raw /k8s-proxy/api/v1/pods");
    }

    @Test
    void agentKilledMidRequestCutsTheResponseAndANewAgentReconnects() throws Exception {
        var reg = bridge.register("group/project", "doomed");
        long id = reg.agent().id();
        bridge.job("doomed-job", 4, 77, "group/app", id);
        Agent doomed = bridge.startAgent(reg.token(), upstream.url());
        bridge.awaitConnected(id);
        var r = client.send(HttpRequest.newBuilder(URI.create(bridge.proxyUrl() + "/hang-after-first-chunk"))
                .header("Authorization", "Bearer ci:" + id + ":doomed-job").build(), HttpResponse.BodyHandlers.ofInputStream());
        InputStream in = r.body();
        assertThat(new String(in.readNBytes(6), StandardCharsets.UTF_8)).isEqualTo("first\n");

        doomed.close();

        // The client learns within seconds (bounded by the test timeout), instead of waiting on a dead stream.
        var rest = CompletableFuture.supplyAsync(() -> {
            try {
                return in.readAllBytes();
            } catch (IOException e) {
                return null;
            }
        });
        assertThat(rest.get(60, TimeUnit.SECONDS)).isNull();

        var gone = get("Bearer ci:" + id + ":doomed-job", "/api/v1/pods");
        assertThat(gone.statusCode()).isIn(502, 503);
        status(gone);

        try (Agent back = bridge.startAgent(reg.token(), upstream.url())) {
            bridge.awaitConnected(id);
            assertThat(get("Bearer ci:" + id + ":doomed-job", "/api/v1/pods").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void finishedRequestsGiveTheirStreamsBackSoManySequentialRequestsNeverExhaustThePool() throws Exception {
        for (int i = 0; i < 700; i++) {
            assertThat(get("Bearer ci:" + agentId + ":good-job", "/api/v1/pods").statusCode()).as("request " + i).isEqualTo(200);
        }
        // Streams go back when KAS ends the call after the trailer; allow for a slow machine.
        Eventually.until(Duration.ofSeconds(60), () -> "every stream back in the agent's pool", () -> agent.pool().busyStreams() == 0);
    }

    @Test
    void kasLogsNeitherJobTokensNorAgentTokens() throws Exception {
        get("Bearer ci:" + agentId + ":good-job", "/api/v1/pods");
        get("Bearer ci:" + agentId + ":foreign-job", "/api/v1/pods");
        String logs = bridge.logText();
        assertThat(logs).contains("correlation_id").doesNotContain("good-job").doesNotContain("foreign-job")
                .doesNotContain("kastor_agent_");
        assertThat(List.of(bridge.kas.agents().list().toString())).noneMatch(s -> s.contains("kastor_agent_"));
    }
}
