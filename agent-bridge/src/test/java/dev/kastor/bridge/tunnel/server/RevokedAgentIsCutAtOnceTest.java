package dev.kastor.bridge.tunnel.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.Bridge;
import dev.kastor.bridge.Upstream;
import dev.kastor.bridge.agentapp.Agent;
import dev.kastor.bridge.agents.AgentStore;
import dev.kastor.bridge.agents.RevocationSweep;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kastor-kas agent revoke} stops a connected agent at once, as its help says: the token is only checked when a
 * call starts and tunnel streams live for hours, so without the sweep new requests kept getting 200 for tens of
 * seconds (the idle streams) and a watch in flight ran on. The revoke here is what the command does: another
 * {@link AgentStore} on the same agents file, as another process (or replica) would write it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RevokedAgentIsCutAtOnceTest {
    @TempDir
    static Path dir;
    static Bridge bridge;
    static Upstream upstream;
    static final CountDownLatch never = new CountDownLatch(1);
    static final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void start() throws Exception {
        upstream = new Upstream()
                .handle("/api/v1/pods", ex -> Upstream.send(ex, 200, "application/json", "{}".getBytes(StandardCharsets.UTF_8)))
                .handle("/watch", ex -> {
                    try (ex) {
                        ex.sendResponseHeaders(200, 0);
                        OutputStream out = ex.getResponseBody();
                        out.write("{\"type\":\"ADDED\"}\n".getBytes(StandardCharsets.UTF_8));
                        out.flush();
                        never.await(60, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
        bridge = new Bridge(dir);
    }

    @AfterAll
    static void stop() {
        never.countDown();
        if (bridge != null) bridge.close();
        if (upstream != null) upstream.close();
    }

    static HttpResponse<String> get(long agentId, String job) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(bridge.proxyUrl() + "/api/v1/pods"))
                .header("Authorization", "Bearer ci:" + agentId + ":" + job).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void revokingEndsTheWatchInFlightAndTheNextRequestGets503WithinTheSweepPeriod() throws Exception {
        var reg = bridge.register("group/project", "to-revoke");
        long id = reg.agent().id();
        bridge.job("revoke-job", 5, 77, "group/app", id);
        try (Agent agent = bridge.startAgent(reg.token(), upstream.url())) {
            bridge.awaitConnected(id);
            assertThat(get(id, "revoke-job").statusCode()).isEqualTo(200);
            var watch = client.send(HttpRequest.newBuilder(URI.create(bridge.proxyUrl() + "/watch"))
                    .header("Authorization", "Bearer ci:" + id + ":revoke-job").build(), HttpResponse.BodyHandlers.ofInputStream());
            InputStream in = watch.body();
            assertThat(new String(in.readNBytes(17), StandardCharsets.UTF_8)).isEqualTo("{\"type\":\"ADDED\"}\n");

            long revokedAt = System.nanoTime();
            assertThat(new AgentStore(dir.resolve("agents.json")).revoke(id)).isTrue();

            var rest = CompletableFuture.supplyAsync(() -> {
                try {
                    return in.readAllBytes();
                } catch (IOException e) {
                    return null; // cut: what a client of a broken stream sees
                }
            });
            assertThat(rest.get(20, TimeUnit.SECONDS)).as("the watch ends").isNull();
            var next = get(id, "revoke-job");
            long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - revokedAt);
            assertThat(next.statusCode()).as(next.body()).isEqualTo(503);
            // a sweep each second: well under the 18-45 s the idle streams used to serve a revoked agent, with room for a busy machine
            assertThat(took).as("ms from revoke to the watch cut and a refused request").isLessThan(RevocationSweep.EVERY.toMillis() * 10);
            assertThat(bridge.kas.tunnels().connected(id)).isFalse();
            assertThat(bridge.logText()).contains("ended the tunnel streams of a revoked agent");
        }
    }

    @Test
    void otherAgentsKeepServing() throws Exception {
        var keep = bridge.register("group/project", "kept");
        var gone = bridge.register("group/project", "gone");
        bridge.job("kept-job", 6, 77, "group/app", keep.agent().id());
        try (Agent kept = bridge.startAgent(keep.token(), upstream.url()); Agent revoked = bridge.startAgent(gone.token(), upstream.url())) {
            bridge.awaitConnected(keep.agent().id());
            bridge.awaitConnected(gone.agent().id());

            new AgentStore(dir.resolve("agents.json")).revoke(gone.agent().id());
            Eventually.until(Duration.ofSeconds(10), () -> "the revoked agent's tunnels ended", () -> !bridge.kas.tunnels().connected(gone.agent().id()));

            assertThat(get(keep.agent().id(), "kept-job").statusCode()).isEqualTo(200);
        }
    }
}
