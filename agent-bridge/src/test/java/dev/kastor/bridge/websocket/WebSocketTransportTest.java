package dev.kastor.bridge.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.Bridge;
import dev.kastor.bridge.TcpRelay;
import dev.kastor.bridge.Upstream;
import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.bridge.registration.agent.RegistrationSettings;
import dev.kastor.testing.Eventually;
import dev.kastor.testing.SelfSignedCert;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * gRPC over WebSocket: a real KAS with {@code listen.agent.websocket: true}, a real agent dialling {@code ws://} or
 * {@code wss://}, and requests through the k8s proxy (kubectl, the JDK HttpClient) reaching a real HTTP upstream.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class WebSocketTransportTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @TempDir
    Path dir;
    Upstream upstream;
    Bridge bridge;
    final List<AutoCloseable> closing = new ArrayList<>();
    final CountDownLatch[] watchGates = {new CountDownLatch(1), new CountDownLatch(1)};

    @BeforeEach
    void upstream() throws Exception {
        upstream = new Upstream()
                // The discovery documents kubectl reads first (what a real API server answers).
                .handle("/api", ex -> Upstream.send(ex, 200, "application/json", (ex.getRequestURI().getPath().equals("/api")
                        ? "{\"kind\":\"APIVersions\",\"versions\":[\"v1\"],\"serverAddressByClientCIDRs\":[{\"clientCIDR\":\"0.0.0.0/0\","
                                + "\"serverAddress\":\"127.0.0.1\"}]}"
                        : "{\"kind\":\"APIResourceList\",\"groupVersion\":\"v1\",\"resources\":[{\"name\":\"pods\",\"singularName\":\"pod\","
                                + "\"namespaced\":true,\"kind\":\"Pod\",\"verbs\":[\"get\",\"list\",\"watch\"]}]}").getBytes(StandardCharsets.UTF_8)))
                .handle("/apis", ex -> Upstream.send(ex, 200, "application/json",
                        "{\"kind\":\"APIGroupList\",\"apiVersion\":\"v1\",\"groups\":[]}".getBytes(StandardCharsets.UTF_8)))
                .handle("/api/v1/namespaces/default/pods", ex -> Upstream.send(ex, 200, "application/json",
                        "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"items\":[]}".getBytes(StandardCharsets.UTF_8)))
                .handle("/watch", Upstream.gatedWatch(watchGates));
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closing.reversed()) c.close();
        if (bridge != null) {
            System.out.println(bridge.logText());
            bridge.close();
        }
        upstream.close();
    }

    private static KasConfig.Address websocketListener(SelfSignedCert cert) {
        return cert == null ? new KasConfig.Address("127.0.0.1:0", null, null, null, true)
                : new KasConfig.Address("127.0.0.1:0", cert.certPem().toString(), cert.keyPem().toString(), null, true);
    }

    /** Starts an agent for a new agent id dialling {@code kas}, and a job allowed to use it; returns the agent id. */
    private long agent(URI kas, java.io.File ca) throws Exception {
        var reg = bridge.register("group/project", "ws-" + System.nanoTime());
        long id = reg.agent().id();
        bridge.job("job-" + id, 20 + id, 77, "group/app", id);
        closing.add(bridge.startAgent(kas, ca, reg.token(), upstream.url(), RegistrationSettings.defaults()));
        return id;
    }

    private HttpResponse<String> get(long agentId, String path) throws Exception {
        var req = HttpRequest.newBuilder(URI.create(bridge.proxyUrl() + path)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer ci:" + agentId + ":job-" + agentId).build();
        return HTTP.send(req, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void agentOverWebSocketServesKubectl() throws Exception {
        var proxyCert = SelfSignedCert.create(dir, "proxy");
        bridge = new Bridge(dir, proxyCert, websocketListener(null));
        long id = agent(URI.create("ws://127.0.0.1:" + bridge.kas.agentPort() + "/-/kubernetes-agent/"), null);
        bridge.awaitConnected(id);

        Path kubeconfig = dir.resolve("kubeconfig");
        Files.writeString(kubeconfig, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: gitlab
                  cluster: {server: "%s", certificate-authority: "%s"}
                users:
                - name: agent
                  user: {token: "ci:%d:job-%d"}
                contexts:
                - name: ctx
                  context: {cluster: gitlab, user: agent}
                current-context: ctx
                """.formatted(bridge.proxyUrl(), proxyCert.certPem(), id, id));
        var pb = new ProcessBuilder("kubectl", "--kubeconfig", kubeconfig.toString(), "get", "pods", "-n", "default", "-o", "json")
                .redirectErrorStream(true);
        pb.environment().put("HOME", dir.toString());
        var p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();

        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("\"kind\": \"List\"");
        assertThat(upstream.seen).anySatisfy(s -> {
            assertThat(s.path()).isEqualTo("/api/v1/namespaces/default/pods");
            assertThat(s.headers().get("Authorization")).containsExactly("Bearer agent-sa-token");
        });
    }

    @Test
    void agentOverSecureWebSocketTrustsCustomCa() throws Exception {
        var cert = SelfSignedCert.create(dir, "kas");
        bridge = new Bridge(dir, null, websocketListener(cert));
        URI wss = URI.create("wss://127.0.0.1:" + bridge.kas.agentPort() + "/");

        long untrusting = agent(wss, null);
        long trusting = agent(wss, cert.certPem().toFile());
        bridge.awaitConnected(trusting);
        var r = get(trusting, "/api/v1/namespaces/default/pods");

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).contains("PodList");
        // By now the agent without the CA has tried (and failed the TLS handshake) more than once.
        assertThat(bridge.kas.tunnels().connected(untrusting)).isFalse();
    }

    @Test
    void watchOverWebSocketArrivesChunkByChunk() throws Exception {
        bridge = new Bridge(dir, null, websocketListener(null));
        long id = agent(URI.create("ws://127.0.0.1:" + bridge.kas.agentPort() + "/"), null);
        bridge.awaitConnected(id);
        var req = HttpRequest.newBuilder(URI.create(bridge.proxyUrl() + "/watch?watch=true"))
                .header("Authorization", "Bearer ci:" + id + ":job-" + id).build();

        var response = HTTP.send(req, HttpResponse.BodyHandlers.ofInputStream());
        try (var lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            // Each event is read before the upstream is allowed to write the next: nothing waits for the end of the body.
            assertThat(lines.readLine()).isEqualTo("{\"type\":\"ADDED\",\"n\":0}");
            watchGates[0].countDown();
            assertThat(lines.readLine()).isEqualTo("{\"type\":\"ADDED\",\"n\":1}");
            watchGates[1].countDown();
            assertThat(lines.readLine()).isEqualTo("{\"type\":\"ADDED\",\"n\":2}");
            assertThat(lines.readLine()).isNull();
        }
        assertThat(response.statusCode()).isEqualTo(200);
    }

    @Test
    void agentReconnectsWhenItsWebSocketIsCut() throws Exception {
        bridge = new Bridge(dir, null, websocketListener(null));
        var relay = new TcpRelay(bridge.kas.agentPort());
        closing.add(relay);
        long id = agent(URI.create("ws://127.0.0.1:" + relay.port() + "/"), null);
        bridge.awaitConnected(id);
        assertThat(get(id, "/api/v1/namespaces/default/pods").statusCode()).isEqualTo(200);
        int before = relay.accepted();

        relay.cutAll();

        // Backoff in the Bridge's agents is 0.2-2 s; allow far more on a loaded machine.
        Eventually.until(Duration.ofSeconds(30), () -> "the agent opened a new WebSocket", () -> relay.accepted() != before && bridge.kas.tunnels().connected(id));
        var r = get(id, "/api/v1/namespaces/default/pods");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    @Test
    void plainHttpOnTheWebSocketPortIsToldHowToDial() throws Exception {
        bridge = new Bridge(dir, null, websocketListener(null));

        var r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + bridge.kas.agentPort() + "/")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("listen.agent.websocket: true").contains("--kas ws://");
    }
}
