package dev.kastor.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two other streaming commands of kubectl, real kubectl 1.32 with the job's KUBECONFIG -> KAS (HTTPS) -> agent ->
 * {@link PodApiUpstream}: {@code port-forward} (WebSocket carrying SPDY/3.1 frames, kubectl's default since 1.31) to a
 * real HTTP server that plays the container's listener, and {@code attach -i} (WebSocket, {@code v5.channel.k8s.io})
 * to a process that echoes its stdin. Through KAS and the agent both are one HTTP upgrade, after which the tunnel
 * carries two raw byte streams; these tests prove the bytes of a long-lived, both-ways session get through.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class KubectlPortForwardAndAttachThroughBridgeTest {
    /** A container port of pod web-0 that nothing listens on. */
    private static final int CLOSED_PORT = 9090;

    @TempDir
    static Path dir;
    static PodApiUpstream pods;
    static KubectlThroughKas kas;
    /** The container's listener on port 8080: answers every request with the body it was sent. */
    static HttpServer container;

    @BeforeAll
    static void start() throws Exception {
        container = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        container.createContext("/echo", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            exchange.getResponseHeaders().set("X-Served-By", "web-0:8080");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        container.start();
        pods = new PodApiUpstream();
        pods.serveContainerPort(8080, container.getAddress().getPort());

        kas = KubectlThroughKas.start(dir, pods.url(), "stream-job");
    }

    @AfterAll
    static void stop() {
        if (kas != null) kas.close();
        if (pods != null) pods.close();
        if (container != null) container.stop(0);
    }

    @Test
    void kubectlPortForwardCarriesBytesBothWaysThroughTheAgent() throws Exception {
        pods.portForwardProtocols.clear();
        portForwardEchoesTwoConnections();
        assertThat(pods.portForwardProtocols).containsExactly(PodApiUpstream.SPDY_OVER_WEBSOCKET);
    }

    @Test
    void kubectlPortForwardFallsBackToSpdyThroughTheAgentWhenTheApiServerRefusesWebSocket() throws Exception {
        pods.portForwardProtocols.clear();
        pods.webSocketPortForward = false;
        try {
            portForwardEchoesTwoConnections();
        } finally {
            pods.webSocketPortForward = true;
        }
        // The refusal (403) reached kubectl as the API server sent it, so kubectl tried again with the SPDY upgrade.
        assertThat(pods.portForwardProtocols).containsExactly("SPDY/3.1");
    }

    /** {@code kubectl port-forward pod/web-0 :8080}, then two HTTP exchanges with the container through it. */
    private static void portForwardEchoesTwoConnections() throws Exception {
        pods.forwardedPorts.clear();
        Process p = kubectl("port-forward", "pod/web-0", ":8080", "--address", "127.0.0.1");
        var err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        try {
            int localPort = forwardedPort(p, err, 8080);
            // Larger than SPDY's initial 64 KiB window and than one tunnel chunk, in both directions.
            byte[] payload = new byte[300 * 1024];
            new Random(7).nextBytes(payload);
            // Two connections one after the other (a client each, so no connection is reused): each is its own pair
            // of SPDY streams on the one tunnel.
            for (int i = 0; i < 2; i++) {
                var http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(30)).build();
                var request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + localPort + "/echo"))
                        .timeout(Duration.ofSeconds(60))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(payload)).build();
                HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());

                assertThat(response.statusCode()).isEqualTo(200);
                assertThat(response.headers().firstValue("X-Served-By")).hasValue("web-0:8080");
                assertThat(response.body()).isEqualTo(payload);
            }
            assertThat(pods.forwardedPorts).hasSizeGreaterThanOrEqualTo(2).containsOnly(8080);
            assertThat(p.isAlive()).as("kubectl port-forward keeps forwarding").isTrue();
        } catch (Throwable t) {
            p.destroy();
            t.addSuppressed(new AssertionError("kubectl port-forward said: " + err.get(30, TimeUnit.SECONDS)));
            throw t;
        } finally {
            p.destroy();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void kubectlPortForwardPrintsTheKubeletsErrorForAPortNothingListensOn() throws Exception {
        pods.portForwardProtocols.clear();
        portForwardToTheClosedPort(List.of());
        assertThat(pods.portForwardProtocols).containsExactly(PodApiUpstream.SPDY_OVER_WEBSOCKET);
    }

    @Test
    void kubectlPortForwardOverSpdyPrintsTheKubeletsErrorForAPortNothingListensOn() throws Exception {
        pods.portForwardProtocols.clear();
        portForwardToTheClosedPort(List.of("KUBECTL_PORT_FORWARD_WEBSOCKETS", "false"));
        assertThat(pods.portForwardProtocols).containsExactly("SPDY/3.1");
    }

    /**
     * {@code kubectl port-forward pod/web-0 :9090} and one connection to it: the kubelet's error stream says nothing
     * listens there, and kubectl must print that error (the bytes of the error stream came through KAS and the agent),
     * as kubectl 1.32 prints it for a real cluster:
     * <pre>
     * E1124 16:31:11.452728 26763 portforward.go:424] "Unhandled Error" err="an error occurred forwarding 44301 -> 9090: error
     *   forwarding port 9090 to pod 1ae6…, uid : failed to execute portforward in network namespace \"…\": failed to connect
     *   to localhost:9090 inside namespace \"1ae6…\", IPv4: dial tcp4 127.0.0.1:9090: connect: connection refused IPv6 …"
     * error: lost connection to pod
     * </pre>
     * kubectl then closes the local connection and stops forwarding with exit code 1.
     */
    private static void portForwardToTheClosedPort(List<String> env) throws Exception {
        Process p = kubectl(env, "port-forward", "pod/web-0", ":" + CLOSED_PORT, "--address", "127.0.0.1");
        var err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        try {
            int localPort = forwardedPort(p, err, CLOSED_PORT);
            try (var socket = new java.net.Socket("127.0.0.1", localPort)) {
                socket.setSoTimeout(60_000);
                socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: web-0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                // kubectl closes the local connection once the pod's side ended: no answer, just the end.
                assertThat(socket.getInputStream().readAllBytes()).isEmpty();
            }
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("kubectl port-forward ends when it lost the pod").isTrue();
            String stderr = err.get(30, TimeUnit.SECONDS);
            assertThat(stderr).contains("an error occurred forwarding " + localPort + " -> " + CLOSED_PORT + ": error forwarding port "
                    + CLOSED_PORT + " to pod " + PodApiUpstream.sandboxId("web-0") + ", uid : failed to execute portforward")
                    .contains("dial tcp4 127.0.0.1:" + CLOSED_PORT + ": connect: connection refused");
            assertThat(stderr).contains("error: lost connection to pod");
            assertThat(p.exitValue()).isEqualTo(1);
            assertThat(pods.forwardedPorts).contains(CLOSED_PORT);
        } catch (Throwable t) {
            p.destroy();
            t.addSuppressed(new AssertionError("kubectl port-forward said: " + err.get(30, TimeUnit.SECONDS)));
            throw t;
        } finally {
            p.destroy();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void kubectlAttachSendsStdinToTheContainerAndPrintsItsOutput() throws Exception {
        pods.attachProtocols.clear();
        attachEchoesTwoLines(false);
        assertThat(pods.attachProtocols).containsExactly("v5.channel.k8s.io");
    }

    @Test
    void kubectlAttachOverSpdyPassesTheAgentLikeTheWebSocketForm() throws Exception {
        pods.attachProtocols.clear();
        attachEchoesTwoLines(true);
        assertThat(pods.attachProtocols).containsExactly("SPDY/3.1");
    }

    /** {@code kubectl attach pod/web-0 -i}: two lines typed, each echoed by the container, then stdin closed. */
    private static void attachEchoesTwoLines(boolean spdy) throws Exception {
        Process p = spdy
                ? kubectl(List.of("KUBECTL_REMOTE_COMMAND_WEBSOCKETS", "false"), "attach", "pod/web-0", "-c", "app", "-i")
                : kubectl("attach", "pod/web-0", "-c", "app", "-i");
        var err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        var stdout = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        OutputStream stdin = p.getOutputStream();
        String first = "first line typed " + (spdy ? "(SPDY)" : "(WebSocket)");

        stdin.write((first + "\n").getBytes(StandardCharsets.UTF_8));
        stdin.flush();
        // The container answers the first line while stdin is still open: the session is interactive, not batched.
        assertThat(stdout.readLine()).as(() -> stderrSoFar(p, err)).isEqualTo(first);
        assertThat(p.isAlive()).isTrue();

        stdin.write("second line typed\n".getBytes(StandardCharsets.UTF_8));
        stdin.close();
        assertThat(stdout.readLine()).isEqualTo("second line typed");
        assertThat(p.waitFor(90, TimeUnit.SECONDS)).isTrue();

        assertThat(p.exitValue()).as(err.get()).isZero();
        assertThat(pods.attachStdin).contains(first + "\nsecond line typed\n");
    }

    /** The local port of {@code kubectl port-forward}, from its line {@code Forwarding from 127.0.0.1:<port> -> <containerPort>}. */
    private static int forwardedPort(Process p, CompletableFuture<String> err, int containerPort) throws IOException {
        var forwarding = Pattern.compile("Forwarding from 127\\.0\\.0\\.1:(\\d+) -> " + containerPort + "$");
        var lines = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = lines.readLine()) != null) {
            var m = forwarding.matcher(line);
            if (m.find()) {
                // kubectl prints one line per connection; keep reading so it never blocks on a full pipe.
                Thread.ofVirtual().start(() -> read(p.getInputStream()));
                return Integer.parseInt(m.group(1));
            }
        }
        throw new AssertionError("kubectl port-forward ended before forwarding: " + stderrSoFar(p, err));
    }

    private static String stderrSoFar(Process p, CompletableFuture<String> err) {
        if (p.isAlive()) return "(kubectl still running)";
        return err.join();
    }

    private static Process kubectl(String... args) throws IOException {
        return kas.kubectl(args);
    }

    private static Process kubectl(List<String> env, String... args) throws IOException {
        return kas.kubectl(env, args);
    }

    private static String read(InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
