package dev.kastor.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.tunnel.agent.PoolSettings;
import dev.kastor.testing.Eventually;
import dev.kastor.testing.SelfSignedCert;
import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * How the agent speaks HTTP to the API server: over TLS with the cluster's CA (a real API server is always HTTPS),
 * on kept-alive connections, and without failing a request when the server dropped an idle connection unannounced.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AgentToApiServerHttpTest {
    static final String BODY = "{\"kind\":\"PodList\",\"items\":[]}";
    static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @TempDir
    Path dir;
    final List<AutoCloseable> closing = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing.reversed()) c.close();
    }

    private <T extends AutoCloseable> T closing(T c) {
        closing.add(c);
        return c;
    }

    /** A bridge whose agent forwards to {@code upstream}, trusting {@code tls}; answers the agent id. */
    private long bridge(URI upstream, SSLContext tls, Bridge[] out) throws Exception {
        var bridge = closing(new Bridge(dir));
        var reg = bridge.register("group/project", "prod");
        long id = reg.agent().id();
        bridge.job("api-job", 41, 77, "group/app", id);
        closing(bridge.startAgent(reg.token(), upstream, tls, () -> "agent-sa-token",
                PoolSettings.defaults().withBackoff(Duration.ofMillis(200), Duration.ofSeconds(2))));
        bridge.awaitConnected(id);
        out[0] = bridge;
        return id;
    }

    private static HttpResponse<String> get(Bridge bridge, long agentId, String path) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(URI.create(bridge.proxyUrl() + path)).header("Authorization", "Bearer ci:" + agentId + ":api-job")
                .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void agentReachesAnHttpsApiServerTrustingTheClustersCa() throws Exception {
        var cert = SelfSignedCert.create(dir, "apiserver");
        var api = closing(new ScriptedApiServer(ScriptedApiServer.ok(BODY, true), serverTls(cert)));
        var bridge = new Bridge[1];
        long id = bridge(URI.create("https://127.0.0.1:" + api.port()), Bridge.trusting(cert), bridge);

        var r = get(bridge[0], id, "/api/v1/namespaces/default/pods");

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(BODY);
        assertThat(api.requests).anySatisfy(request -> assertThat(request.head()).startsWith("GET /api/v1/namespaces/default/pods HTTP/1.1")
                .contains("Authorization: Bearer agent-sa-token").contains("Impersonate-User: gitlab:ci_job:41"));
    }

    @Test
    void requestsShareKeptAliveConnections() throws Exception {
        var api = closing(new ScriptedApiServer(ScriptedApiServer.ok(BODY, true)));
        var bridge = new Bridge[1];
        long id = bridge(URI.create("http://127.0.0.1:" + api.port()), null, bridge);
        int before = api.connections.get();

        for (int i = 0; i < 20; i++) assertThat(get(bridge[0], id, "/api/v1/pods").statusCode()).isEqualTo(200);

        // sequential requests: one connection would do; allow a few for the agent's registration running alongside
        assertThat(api.connections.get() - before).isLessThanOrEqualTo(3);
    }

    @Test
    void anIdleConnectionTheApiServerDroppedIsReplacedWithoutFailingTheRequest() throws Exception {
        // the server closes each connection after one answer without saying so (no Connection: close), as a server whose
        // idle timeout fired does
        var api = closing(new ScriptedApiServer(ScriptedApiServer.ok(BODY, false)));
        var bridge = new Bridge[1];
        long id = bridge(URI.create("http://127.0.0.1:" + api.port()), null, bridge);

        for (int i = 0; i < 10; i++) {
            // the server has closed every connection it answered on: the agent's pooled one is dead when this request comes
            Eventually.until(Duration.ofSeconds(10), () -> "the API server closed the connections it answered on", () -> api.closed.get() == api.connections.get());
            var r = get(bridge[0], id, "/api/v1/pods");
            assertThat(r.statusCode()).as("request " + i + ": " + r.body()).isEqualTo(200);
        }
    }

    private static SSLContext serverTls(SelfSignedCert cert) throws Exception {
        return ((JdkSslContext) SslContextBuilder.forServer(cert.certPem().toFile(), cert.keyPem().toFile()).sslProvider(SslProvider.JDK).build()).context();
    }
}
