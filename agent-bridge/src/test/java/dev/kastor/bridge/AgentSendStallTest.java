package dev.kastor.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.agentapp.Agent;
import dev.kastor.bridge.tunnel.TunnelDefaults;
import dev.kastor.bridge.tunnel.agent.PoolSettings;
import dev.kastor.testing.Eventually;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's send-stall guard, with real parts: a client (JDK HttpClient) that stops reading a large answer ->
 * KAS k8s proxy, which then stops granting the agent credit -> gRPC tunnel -> agent, whose writes wait -> a real HTTP
 * upstream writing the answer. The agent runs with a stall limit of {@value #STALL_SECONDS} s instead of the default
 * {@link TunnelDefaults#SEND_STALL} (10 min), which a test cannot wait for; the paused-client tests of
 * {@link K8sProxyStreamingTest} show that, under the default, a client pausing for seconds keeps its stream.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AgentSendStallTest {
    private static final long STALL_SECONDS = 2;
    /** Far more than every buffer on the way holds, so the upstream cannot finish while the client pauses. */
    private static final long BIG = 1L << 40;
    private static final String PODS = "{\"kind\":\"PodList\",\"items\":[]}";

    @TempDir
    static Path dir;
    static Bridge bridge;
    static Upstream upstream;
    static Agent agent;
    static long agentId;
    static final AtomicLong bigWritten = new AtomicLong();
    /** How the upstream's answer ended: the bytes the API-server side had written when its connection broke. */
    static final CompletableFuture<Long> bigBrokeOff = new CompletableFuture<>();

    @BeforeAll
    static void start() throws Exception {
        var big = Upstream.countedBody(BIG, new byte[64 * 1024], bigWritten);
        upstream = new Upstream()
                .handle("/api/v1/namespaces/default/pods", ex -> Upstream.send(ex, 200, "application/json", PODS.getBytes(StandardCharsets.UTF_8)))
                .handle("/big", ex -> {
                    try {
                        big.handle(ex);
                    } catch (IOException e) {
                        bigBrokeOff.complete(bigWritten.get());
                        throw e;
                    }
                });
        bridge = new Bridge(dir);
        var reg = bridge.register("group/project", "prod");
        agentId = reg.agent().id();
        bridge.job("stall-job", 601, 77, "group/app", agentId);
        agent = bridge.startAgent(reg.token(), upstream.url(), null, () -> "agent-sa-token",
                PoolSettings.defaults().withBackoff(Duration.ofMillis(200), Duration.ofSeconds(2)).withSendStall(Duration.ofSeconds(STALL_SECONDS)));
        bridge.awaitConnected(agentId);
    }

    @AfterAll
    static void stop() {
        if (agent != null) agent.close();
        if (bridge != null) bridge.close();
        if (upstream != null) upstream.close();
    }

    @Test
    void aStreamWhoseWritesWaitForKasLongerThanTheStallLimitIsGivenUpAndThePoolServesTheNextRequest() throws Exception {
        var client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        var r = client.send(request("/big").GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream paused = r.body()) {
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(paused.readNBytes(1024)).hasSize(1024);
            assertThat(agent.pool().busyStreams()).as("the answer holds a tunnel stream").isEqualTo(1);
            long pausedAt = System.nanoTime(); // measured on purpose: the break-off must not come before the configured stall limit

            // The client reads no more: KAS grants no credit, the agent's writes wait, and once they waited longer
            // than the limit the agent cancels the stream and closes its connection to the API server, whose next
            // write fails. Under the 10 min default nothing would happen within this test's time.
            assertThat(bigBrokeOff).as("the agent closes the API-server connection of a stream stalled for %d s", STALL_SECONDS)
                    .succeedsWithin(Duration.ofSeconds(60), InstanceOfAssertFactories.LONG).as("bytes the upstream wrote before its connection was closed").isLessThan(BIG);
            // Not before the limit: what broke it off is the stall guard, not some other failure on the way.
            assertThat(Duration.ofNanos(System.nanoTime() - pausedAt)).as("time from the pause to the break-off")
                    .isGreaterThanOrEqualTo(Duration.ofSeconds(STALL_SECONDS));

            // The client is not left waiting for bytes that will never come: its answer breaks off.
            assertThat(drain(paused)).as("bytes the client still got after the stream was given up").isLessThan(BIG);
        }

        // The stream left the pool, which still serves requests through the same agent.
        awaitNoBusyStream();
        var next = client.send(request("/api/v1/namespaces/default/pods").timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(next.statusCode()).isEqualTo(200);
        assertThat(next.body()).isEqualTo(PODS);
    }

    /** Reads to the end; the count when the connection broke instead. */
    private static long drain(InputStream in) {
        byte[] buf = new byte[1 << 16];
        long total = 1024;
        try {
            int n;
            while ((n = in.read(buf)) >= 0) total += n;
        } catch (IOException broken) {
            // the expected end: the proxy closed the connection before the announced length
        }
        return total;
    }

    private static void awaitNoBusyStream() throws InterruptedException {
        Eventually.until(Duration.ofSeconds(30), () -> "the given-up stream no longer counts as busy", () -> agent.pool().busyStreams() == 0);
    }

    private static HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(bridge.proxyUrl() + path))
                .header("Authorization", "Bearer ci:" + agentId + ":stall-job").timeout(Duration.ofSeconds(120));
    }
}
