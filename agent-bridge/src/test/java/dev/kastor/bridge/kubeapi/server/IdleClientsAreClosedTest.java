package dev.kastor.bridge.kubeapi.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.Bridge;
import dev.kastor.bridge.BridgeWithAgent;
import dev.kastor.bridge.Upstream;
import dev.kastor.bridge.agentapp.Agent;
import dev.kastor.bridge.kasapp.Kas;
import dev.kastor.bridge.kubeapi.KubeApiDefaults;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Clients that connect and say nothing, trickle their request head, or keep a connection alive without another
 * request do not hold KAS's connections (and file descriptors) for ever: the k8s proxy closes them as kube-apiserver
 * does (ReadHeaderTimeout, IdleTimeout), and the agent port closes a connection that never finishes its handshake.
 * A running exchange is never cut by these bounds. The bounds are shortened here (hundreds of milliseconds).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class IdleClientsAreClosedTest {
    static final Duration HEAD = Duration.ofMillis(600);
    static final Duration IDLE = Duration.ofMillis(900);
    static final Duration HANDSHAKE = Duration.ofMillis(600);
    static final CountDownLatch[] gates = {new CountDownLatch(1), new CountDownLatch(1)};
    @RegisterExtension
    static final BridgeWithAgent kas = new BridgeWithAgent(
            () -> new Upstream()
                    .handle("/api/v1/pods", ex -> Upstream.send(ex, 200, "application/json", "{}".getBytes(StandardCharsets.UTF_8)))
                    .handle("/watch", Upstream.gatedWatch(gates)),
            "idle-job", 8)
            .tuned(new Kas.Tuning(new ProxyLimits(HEAD, IDLE, KubeApiDefaults.REQUEST_BODY_IDLE_TIMEOUT, 100, 250, 60), HANDSHAKE));
    static Bridge bridge;
    static Upstream upstream;
    static Agent agent;
    static long agentId;

    @BeforeAll
    static void start() {
        bridge = kas.bridge();
        upstream = kas.upstream();
        agent = kas.agent();
        agentId = kas.agentId();
    }

    /** A gated watch holds the upstream: let it go before the extension closes it. */
    @AfterAll
    static void stop() {
        for (CountDownLatch g : gates) g.countDown();
    }

    /**
     * Milliseconds until the server closes the connection (reads to the end, discarding). Measured on purpose: these
     * tests check timeouts, so when the close comes is what they assert, against the bound configured above: never
     * before it, and within it plus 5 s of margin for a slow machine.
     */
    static long msUntilClosed(Socket s, long since) throws IOException {
        s.setSoTimeout(20_000);
        InputStream in = s.getInputStream();
        try {
            while (in.read() >= 0) {
                // an answer, if any, then the close
            }
        } catch (java.net.SocketException reset) {
            // closed with unread bytes: a reset is a close too
        }
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - since);
    }

    static Socket connect(int port) throws IOException {
        var s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        return s;
    }

    @Test
    void fiftySilentConnectionsAreClosedAfterTheRequestHeadTimeout() throws Exception {
        var sockets = new ArrayList<Socket>();
        long opened = System.nanoTime();
        for (int i = 0; i < 50; i++) sockets.add(connect(bridge.kas.k8sProxyPort()));
        for (Socket s : sockets) {
            try (s) {
                long ms = msUntilClosed(s, opened);
                assertThat(ms).isBetween(HEAD.toMillis() - 100, HEAD.toMillis() + 5000);
            }
        }
    }

    @Test
    void aTricklingRequestHeadIsClosedToo() throws Exception {
        try (Socket s = connect(bridge.kas.k8sProxyPort())) {
            long opened = System.nanoTime();
            Thread trickle = Thread.ofVirtual().start(() -> {
                try {
                    OutputStream out = s.getOutputStream();
                    for (byte b : "GET /k8s-proxy/api/v1/pods HTTP/1.1\r\nHost: kas\r\nX-Slow: ".getBytes(StandardCharsets.UTF_8)) {
                        out.write(b);
                        out.flush();
                        Thread.sleep(20); // behaviour, not waiting: a client that trickles its request head
                    }
                    while (true) {
                        out.write('a');
                        out.flush();
                        Thread.sleep(20); // the same trickle, for ever
                    }
                } catch (IOException | InterruptedException closed) {
                    // the server closed: what the test waits for
                }
            });
            long ms = msUntilClosed(s, opened);
            trickle.interrupt();
            assertThat(ms).isBetween(HEAD.toMillis() - 100, HEAD.toMillis() + 5000);
        }
    }

    @Test
    void aKeptAliveConnectionWithoutANextRequestIsClosedAfterTheIdleTimeout() throws Exception {
        try (Socket s = connect(bridge.kas.k8sProxyPort())) {
            s.getOutputStream().write(("GET /k8s-proxy/api/v1/pods HTTP/1.1\r\nHost: kas\r\nAuthorization: Bearer ci:" + agentId
                    + ":idle-job\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            s.getOutputStream().flush();
            var in = s.getInputStream();
            var head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) head.append((char) in.read());
            assertThat(head.toString()).startsWith("HTTP/1.1 200");
            assertThat(new String(in.readNBytes(2), StandardCharsets.UTF_8)).isEqualTo("{}");
            long answered = System.nanoTime();

            long ms = msUntilClosed(s, answered);

            assertThat(ms).isBetween(IDLE.toMillis() - 100, IDLE.toMillis() + 5000);
        }
    }

    @Test
    void aWatchQuietForLongerThanBothBoundsRunsOn() throws Exception {
        var client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        var r = client.send(HttpRequest.newBuilder(URI.create(bridge.proxyUrl() + "/watch"))
                .header("Authorization", "Bearer ci:" + agentId + ":idle-job").build(), HttpResponse.BodyHandlers.ofLines());
        var lines = r.body().iterator();
        assertThat(lines.next()).contains("\"n\":0");
        long quietUntil = System.nanoTime() + (IDLE.toNanos() + HEAD.toNanos()) * 2;
        // Behaviour, not waiting: the watch says nothing for longer than both bounds, the silence the test is about.
        while (System.nanoTime() < quietUntil) Thread.sleep(50);

        gates[0].countDown();

        assertThat(lines.next()).contains("\"n\":1");
        gates[1].countDown();
        assertThat(lines.next()).contains("\"n\":2");
    }

    @Test
    void anAgentPortConnectionThatNeverFinishesItsHandshakeIsClosed() throws Exception {
        var sockets = new ArrayList<Socket>();
        long opened = System.nanoTime();
        for (int i = 0; i < 20; i++) sockets.add(connect(bridge.kas.agentPort()));
        List<Long> took = new ArrayList<>();
        for (Socket s : sockets) {
            try (s) {
                took.add(msUntilClosed(s, opened));
            }
        }
        assertThat(took).allSatisfy(ms -> assertThat(ms).isBetween(HANDSHAKE.toMillis() - 100, HANDSHAKE.toMillis() + 5000));
        assertThat(bridge.kas.tunnels().connected(agentId)).as("the real agent stays connected").isTrue();
    }
}
