package dev.kastor.bridge.registration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.Bridge;
import dev.kastor.bridge.Upstream;
import dev.kastor.bridge.agentapp.Agent;
import dev.kastor.bridge.registration.agent.RegistrationSettings;
import dev.kastor.testing.Eventually;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A real agent registers with a real KAS over gRPC; what KAS learned is read the way an operator reads it, from
 * {@code GET /api/v1/agents} and {@code /metrics} on the API port. The API server's {@code GET /version} is answered
 * by a real HTTP server playing the Kubernetes API server.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RegistrationTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;
    Bridge bridge;
    Upstream apiServer;
    Agent agent;

    @BeforeEach
    void start() throws Exception {
        bridge = new Bridge(dir);
        apiServer = new Upstream().handle("/version", ex -> Upstream.send(ex, 200, "application/json", """
                {"major":"1","minor":"32","gitVersion":"v1.32.3","platform":"linux/amd64"}""".getBytes(StandardCharsets.UTF_8)));
    }

    @AfterEach
    void stop() {
        if (agent != null) agent.close();
        if (bridge != null) bridge.close();
        if (apiServer != null) apiServer.close();
    }

    @Test
    void agentRegistersWithItsVersionAndKubernetesVersion() throws Exception {
        var reg = bridge.register("group/project", "prod");
        agent = bridge.startAgent(bridge.grpcUrl(), null, reg.token(), apiServer.url(), RegistrationSettings.defaults());

        JsonNode instance = awaitInstances(reg.agent().id(), n -> n.size() == 1).get(0);

        assertThat(instance.path("agent_version").asString()).isEqualTo("test");
        assertThat(instance.path("kubernetes_version").path("git_version").asString()).isEqualTo("v1.32.3");
        assertThat(instance.path("kubernetes_version").path("major").asString()).isEqualTo("1");
        assertThat(instance.path("kubernetes_version").path("minor").asString()).isEqualTo("32");
        assertThat(instance.path("instance_id").asString()).isNotBlank();
        assertThat(instance.has("pod_name")).isTrue();
        assertThat(apiServer.seen).anySatisfy(s -> {
            assertThat(s.path()).isEqualTo("/version");
            assertThat(s.headers().get("Authorization")).containsExactly("Bearer agent-sa-token");
        });
        assertThat(get("/metrics", null).body())
                .contains("kastor_agent_info{agent_id=\"" + reg.agent().id() + "\",version=\"test\",kubernetes_version=\"v1.32.3\"} 1");
        assertThat(bridge.logText()).contains("\"msg\":\"agent registered\"").doesNotContain(reg.token()).doesNotContain(Bridge.SECRET);
    }

    @Test
    void twoInstancesOfOneAgentAreToldApart() throws Exception {
        var reg = bridge.register("group/project", "prod");
        agent = bridge.startAgent(bridge.grpcUrl(), null, reg.token(), apiServer.url(), RegistrationSettings.defaults());
        try (Agent second = bridge.startAgent(bridge.grpcUrl(), null, reg.token(), apiServer.url(), RegistrationSettings.defaults())) {
            JsonNode instances = awaitInstances(reg.agent().id(), n -> n.size() == 2);

            assertThat(instances.get(0).path("instance_id").asString()).isNotEqualTo(instances.get(1).path("instance_id").asString());
            assertThat(get("/metrics", null).body()).contains("kastor_agent_info{agent_id=\"" + reg.agent().id() + "\",version=\"test\","
                    + "kubernetes_version=\"v1.32.3\"} 2");
        }
    }

    @Test
    void registrationIsRefreshedPeriodically() throws Exception {
        var reg = bridge.register("group/project", "prod");
        agent = bridge.startAgent(bridge.grpcUrl(), null, reg.token(), apiServer.url(),
                RegistrationSettings.defaults().withPeriod(Duration.ofMillis(300)));

        Set<Instant> lastSeen = new HashSet<>();
        awaitInstances(reg.agent().id(), n -> {
            if (n.size() == 1) lastSeen.add(Instant.parse(n.get(0).path("last_seen").asString()));
            return lastSeen.size() >= 3;
        });

        assertThat(apiServer.seen.stream().filter(s -> s.path().equals("/version")).count()).isGreaterThanOrEqualTo(3);
    }

    @Test
    void agentReadsTheVersionOfAnHttpsApiServerItTrustsWithItsToken() throws Exception {
        var cert = dev.kastor.testing.SelfSignedCert.create(dir, "api");
        var serverTls = ((io.netty.handler.ssl.JdkSslContext) io.netty.handler.ssl.SslContextBuilder
                .forServer(cert.certPem().toFile(), cert.keyPem().toFile()).sslProvider(io.netty.handler.ssl.SslProvider.JDK).build()).context();
        var https = com.sun.net.httpserver.HttpsServer.create(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 16);
        https.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(serverTls));
        var authorization = new java.util.concurrent.atomic.AtomicReference<String>();
        https.createContext("/version", ex -> {
            authorization.set(ex.getRequestHeaders().getFirst("Authorization"));
            Upstream.send(ex, 200, "application/json", "{\"major\":\"1\",\"minor\":\"33\",\"gitVersion\":\"v1.33.1\"}".getBytes(StandardCharsets.UTF_8));
        });
        https.start();
        try {
            var reg = bridge.register("group/project", "prod");
            agent = bridge.startAgent(reg.token(), URI.create("https://127.0.0.1:" + https.getAddress().getPort()), Bridge.trusting(cert),
                    () -> "agent-sa-token", dev.kastor.bridge.tunnel.agent.PoolSettings.defaults());

            JsonNode instance = awaitInstances(reg.agent().id(), n -> n.size() == 1).get(0);

            assertThat(instance.path("kubernetes_version").path("git_version").asString()).isEqualTo("v1.33.1");
            assertThat(authorization.get()).isEqualTo("Bearer agent-sa-token");
        } finally {
            https.stop(0);
        }
    }

    @Test
    void agentRegistersWithoutKubernetesVersionWhenTheApiServerCannotTell() throws Exception {
        try (var broken = new Upstream().handle("/version", ex -> Upstream.send(ex, 503, "text/plain", "etcd down".getBytes(StandardCharsets.UTF_8)))) {
            var reg = bridge.register("group/project", "prod");
            agent = bridge.startAgent(bridge.grpcUrl(), null, reg.token(), broken.url(), RegistrationSettings.defaults());

            JsonNode instance = awaitInstances(reg.agent().id(), n -> n.size() == 1).get(0);

            assertThat(instance.path("agent_version").asString()).isEqualTo("test");
            assertThat(instance.path("kubernetes_version").path("git_version").asString()).isEmpty();
        }
    }

    @Test
    void agentsEndpointRefusesCallersWithoutTheSecret() throws Exception {
        var reg = bridge.register("group/project", "secret-agent-name");
        agent = bridge.startAgent(bridge.grpcUrl(), null, reg.token(), apiServer.url(), RegistrationSettings.defaults());
        awaitInstances(reg.agent().id(), n -> n.size() == 1);
        String wrongKey = Base64.getEncoder().encodeToString("x".repeat(32).getBytes(StandardCharsets.UTF_8));

        var none = get(RegistrationDefaults.AGENTS_PATH, null);
        var wrong = get(RegistrationDefaults.AGENTS_PATH, "Bearer " + wrongKey);
        var notBase64 = get(RegistrationDefaults.AGENTS_PATH, "Bearer not*base64");
        var right = get(RegistrationDefaults.AGENTS_PATH, "Bearer " + Bridge.SECRET);

        for (var refused : java.util.List.of(none, wrong, notBase64)) {
            assertThat(refused.statusCode()).isEqualTo(401);
            assertThat(refused.body()).contains("Authorization: Bearer <api_secret_key>").doesNotContain("secret-agent-name");
        }
        assertThat(right.statusCode()).isEqualTo(200);
        assertThat(right.body()).contains("secret-agent-name");
        assertThat(bridge.logText()).doesNotContain(wrongKey).doesNotContain(Bridge.SECRET);
    }

    private HttpResponse<String> get(String path, String authorization) throws Exception {
        var rb = HttpRequest.newBuilder(URI.create(bridge.apiUrl() + path)).timeout(Duration.ofSeconds(20));
        if (authorization != null) rb.header("Authorization", authorization);
        return HTTP.send(rb.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Polls /api/v1/agents (generous deadline) until the agent's instances satisfy {@code done}. */
    private JsonNode awaitInstances(long agentId, Predicate<JsonNode> done) throws Exception {
        return Eventually.value(Duration.ofSeconds(30), () -> "agent " + agentId + " instances matched", () -> {
            var r = get(RegistrationDefaults.AGENTS_PATH, "Bearer " + Bridge.SECRET);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode instances = null;
            for (JsonNode a : JSON.readTree(r.body()).path("agents")) {
                if (a.path("id").asLong() == agentId) instances = a.path("instances");
            }
            return instances;
        }, instances -> instances != null && done.test(instances));
    }
}
