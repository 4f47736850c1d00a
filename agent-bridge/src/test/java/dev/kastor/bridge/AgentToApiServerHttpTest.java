package dev.kastor.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.agentapp.Agent;
import dev.kastor.bridge.tunnel.agent.PoolSettings;
import dev.kastor.testing.Eventually;
import dev.kastor.testing.SelfSignedCert;
import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
        var api = closing(RawApiServer.start(serverTls(cert), false));
        var bridge = new Bridge[1];
        long id = bridge(URI.create("https://127.0.0.1:" + api.port()), Bridge.trusting(cert), bridge);

        var r = get(bridge[0], id, "/api/v1/namespaces/default/pods");

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(RawApiServer.BODY);
        assertThat(api.requests).anySatisfy(head -> assertThat(head).startsWith("GET /api/v1/namespaces/default/pods HTTP/1.1")
                .contains("Authorization: Bearer agent-sa-token").contains("Impersonate-User: gitlab:ci_job:41"));
    }

    @Test
    void requestsShareKeptAliveConnections() throws Exception {
        var api = closing(RawApiServer.start(null, false));
        var bridge = new Bridge[1];
        long id = bridge(URI.create("http://127.0.0.1:" + api.port()), null, bridge);
        int before = api.connections.get();

        for (int i = 0; i < 20; i++) assertThat(get(bridge[0], id, "/api/v1/pods").statusCode()).isEqualTo(200);

        // sequential requests: one connection would do; allow a few for the agent's registration running alongside
        assertThat(api.connections.get() - before).isLessThanOrEqualTo(3);
    }

    @Test
    void anIdleConnectionTheApiServerDroppedIsReplacedWithoutFailingTheRequest() throws Exception {
        var api = closing(RawApiServer.start(null, true));
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

    /**
     * An HTTP/1.1 server on a plain socket that answers every request with a small JSON body and counts connections;
     * with {@code dropAfterEachAnswer} it closes each connection after one answer without saying so (no
     * {@code Connection: close}), as a server whose idle timeout fired does.
     */
    static final class RawApiServer implements AutoCloseable {
        static final String BODY = "{\"kind\":\"PodList\",\"items\":[]}";
        final ServerSocket listener;
        final boolean dropAfterEachAnswer;
        final AtomicInteger connections = new AtomicInteger();
        final AtomicInteger closed = new AtomicInteger();
        final List<String> requests = new CopyOnWriteArrayList<>();

        private RawApiServer(ServerSocket listener, boolean dropAfterEachAnswer) {
            this.listener = listener;
            this.dropAfterEachAnswer = dropAfterEachAnswer;
        }

        static RawApiServer start(SSLContext tls, boolean dropAfterEachAnswer) throws Exception {
            ServerSocket s = tls == null ? new ServerSocket() : tls.getServerSocketFactory().createServerSocket();
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            var server = new RawApiServer(s, dropAfterEachAnswer);
            Thread.ofVirtual().start(server::accept);
            return server;
        }

        int port() {
            return listener.getLocalPort();
        }

        private void accept() {
            while (!listener.isClosed()) {
                try {
                    Socket c = listener.accept();
                    connections.incrementAndGet();
                    Thread.ofVirtual().start(() -> serve(c));
                } catch (Exception e) {
                    return;
                }
            }
        }

        private void serve(Socket c) {
            try (c) {
                var in = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.ISO_8859_1));
                OutputStream out = c.getOutputStream();
                while (true) {
                    var head = new StringBuilder();
                    String line;
                    while ((line = in.readLine()) != null && !line.isEmpty()) head.append(line).append("\r\n");
                    if (line == null) return;
                    requests.add(head.toString());
                    byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
                    out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n")
                            .getBytes(StandardCharsets.ISO_8859_1));
                    out.write(body);
                    out.flush();
                    if (dropAfterEachAnswer) return;
                }
            } catch (Exception e) {
                // the agent went away
            } finally {
                closed.incrementAndGet();
            }
        }

        @Override
        public void close() throws Exception {
            listener.close();
        }
    }
}
