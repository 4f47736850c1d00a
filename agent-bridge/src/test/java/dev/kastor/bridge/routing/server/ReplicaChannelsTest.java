package dev.kastor.bridge.routing.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.kastor.bridge.Bridge;
import dev.kastor.bridge.RedisServer;
import dev.kastor.bridge.Upstream;
import dev.kastor.bridge.agentapp.Agent;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.bridge.observability.ProxyMetrics;
import dev.kastor.bridge.tunnel.rpc.Header;
import dev.kastor.bridge.tunnel.rpc.RequestInfo;
import dev.kastor.bridge.tunnel.server.TunnelListener;
import dev.kastor.testing.Eventually;
import dev.kastor.testing.Programs;
import io.grpc.ManagedChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Channels to other replicas close once idle or once their replica is gone, never under a call. Real replicas (KAS
 * with its private API, Redis, an agent) answer; this replica's side is a {@link ReplicaChannels} whose clock the test
 * moves by hand, so minutes of idleness take no time and a channel closed without the clock moving was not closed for
 * idleness.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ReplicaChannelsTest {
    static final Duration IDLE = Duration.ofMinutes(5);

    @TempDir
    static Path dir;
    static RedisServer redis;
    static Upstream upstream;
    static Bridge holder;
    static Agent agent;
    static long agentId;
    static String holderUrl;
    static final CountDownLatch[] gates = {new CountDownLatch(1), new CountDownLatch(1)};

    final AtomicLong now = new AtomicLong();
    ReplicaChannels channels;

    @BeforeAll
    static void start() throws Exception {
        redis = RedisServer.start();
        upstream = new Upstream()
                .handle("/api/v1/namespaces/default/pods", ex -> Upstream.send(ex, 200, "application/json",
                        "{\"kind\":\"PodList\",\"items\":[]}".getBytes(StandardCharsets.UTF_8)))
                .handle("/watch", Upstream.gatedWatch(gates));
        holder = new Bridge(dir, null, null, new Bridge.Replica(redis.url()));
        holderUrl = holder.kas.config().ownPrivateApiUrl();
        var reg = holder.register("group/project", "prod");
        agentId = reg.agent().id();
        agent = holder.startAgent(reg.token(), upstream.url());
        holder.awaitConnected(agentId);
    }

    @AfterAll
    static void stop() throws Exception {
        for (var g : gates) g.countDown();
        if (agent != null) agent.close();
        if (holder != null) holder.close();
        if (upstream != null) upstream.close();
        if (redis != null) redis.close();
    }

    @BeforeEach
    void channels() {
        channels = new ReplicaChannels(new PrivateApiJwt(Bridge.SECRET, Clock.systemUTC()), null, IDLE, now::get);
    }

    @AfterEach
    void close() {
        channels.close();
    }

    /** What the k8s proxy would hear on a routed request; it lets the next frame through after each message as the proxy does. */
    static final class Heard implements TunnelListener {
        final CompletableFuture<Integer> status = new CompletableFuture<>();
        final CompletableFuture<String> end = new CompletableFuture<>();
        final LinkedBlockingQueue<String> messages = new LinkedBlockingQueue<>();
        RemoteTunnel tunnel;

        @Override
        public void header(Header header) {
            status.complete(header.getStatus());
        }

        @Override
        public void response(Header header, ByteString body) {
            status.complete(header.getStatus());
            end.complete("response");
        }

        @Override
        public void message(ByteString data) {
            messages.add(data.toStringUtf8());
            tunnel.requestNext(1);
        }

        @Override
        public void trailer() {
            end.complete("trailer");
        }

        @Override
        public void error(int status, String message) {
            this.status.complete(status);
            end.complete("error: " + message);
        }

        @Override
        public void broken(String why) {
            end.complete("broken: " + why);
        }
    }

    Heard get(String path) {
        return get(holderUrl, agentId, path);
    }

    Heard get(String url, long agent, String path) {
        var heard = new Heard();
        heard.tunnel = new RemoteTunnel(channels, List.of(url), agent, new ProxyMetrics(() -> 0, () -> 0), JsonLog.quiet());
        heard.tunnel.start(RequestInfo.newBuilder().setMethod("GET").setPath(path).setAcceptsResponse(true).build(), heard);
        heard.tunnel.closeSend();
        return heard;
    }

    /** gRPC closes a call a moment after its last frame reached the listener (the holder's status follows it). */
    void awaitCallsClosed() throws InterruptedException {
        awaitCallsClosed(holderUrl);
    }

    void awaitCallsClosed(String url) throws InterruptedException {
        Eventually.until(Duration.ofSeconds(30), () -> "calls to " + url + " closed", () -> channels.callsInFlight(url) == 0);
    }

    /** Waits until this replica keeps no channel to {@code url}; the idle sweep cannot be what closes it (the clock stands still). */
    void awaitNoChannel(String url, Duration within) throws InterruptedException {
        Eventually.until(within, () -> "channel to " + url + " closed", () -> channels.channel(url) == null);
    }

    /** Another replica, sharing Redis, agents and GitLab with the holder, with its private API on {@code port}. */
    static Bridge replicaAt(int port) throws Exception {
        return new Bridge(dir, null, holder.gitlab, new Bridge.Replica(redis.url(), port, "kastor-test", null, null));
    }

    @Test
    void channelIdleForTheIdleTimeIsClosedAndTheNextCallOpensANewOne() throws Exception {
        var first = get("/api/v1/namespaces/default/pods");
        assertThat(first.status.get(30, TimeUnit.SECONDS)).isEqualTo(200);
        assertThat(first.end.get(30, TimeUnit.SECONDS)).isEqualTo("response");
        awaitCallsClosed();
        var used = channels.channel(holderUrl);
        assertThat(channels.openChannels()).isEqualTo(1);

        now.addAndGet(IDLE.minusSeconds(1).toNanos());
        channels.closeIdle();
        assertThat(channels.openChannels()).as("open channels just before the idle time").isEqualTo(1);
        assertThat(used.isShutdown()).isFalse();

        now.addAndGet(Duration.ofSeconds(2).toNanos());
        channels.closeIdle();
        assertThat(channels.openChannels()).as("open channels after the idle time").isZero();
        assertThat(used.isShutdown()).isTrue();
        assertThat(used.awaitTermination(10, TimeUnit.SECONDS)).isTrue();

        var again = get("/api/v1/namespaces/default/pods");
        assertThat(again.status.get(30, TimeUnit.SECONDS)).isEqualTo(200);
        assertThat(channels.openChannels()).isEqualTo(1);
        assertThat(channels.channel(holderUrl)).isNotSameAs(used);
    }

    @Test
    void channelWithACallInFlightIsNotClosedAndTheCallCompletes() throws Exception {
        var watch = get("/watch");
        assertThat(watch.status.get(30, TimeUnit.SECONDS)).isEqualTo(200);
        assertThat(watch.messages.poll(30, TimeUnit.SECONDS)).contains("\"n\":0");
        var used = channels.channel(holderUrl);

        now.addAndGet(Duration.ofHours(1).toNanos());
        channels.closeIdle();
        assertThat(channels.openChannels()).as("open channels while the watch runs").isEqualTo(1);
        assertThat(channels.callsInFlight(holderUrl)).isEqualTo(1);
        assertThat(used.isShutdown()).isFalse();

        gates[0].countDown();
        assertThat(watch.messages.poll(30, TimeUnit.SECONDS)).contains("\"n\":1");
        gates[1].countDown();
        assertThat(watch.messages.poll(30, TimeUnit.SECONDS)).contains("\"n\":2");
        assertThat(watch.end.get(30, TimeUnit.SECONDS)).isEqualTo("trailer");

        // Idle time counts from the end of the last call, not its start.
        channels.closeIdle();
        assertThat(channels.openChannels()).as("open channels right after the watch ended").isEqualTo(1);
        awaitCallsClosed();
        now.addAndGet(IDLE.toNanos());
        channels.closeIdle();
        assertThat(channels.openChannels()).isZero();
        assertThat(used.isShutdown()).isTrue();
    }

    @Test
    void channelToAReplicaThatStoppedIsClosedWithinSeconds() throws Exception {
        assertThat(get("/api/v1/namespaces/default/pods").status.get(30, TimeUnit.SECONDS)).isEqualTo(200);
        awaitCallsClosed();
        var toHolder = channels.channel(holderUrl);
        String url;
        ManagedChannel used;
        try (var leaving = replicaAt(Programs.freePort())) {
            url = leaving.kas.config().ownPrivateApiUrl();
            var reg = leaving.register("group/project", "leaving");
            try (Agent onIt = leaving.startAgent(reg.token(), upstream.url())) {
                leaving.awaitConnected(reg.agent().id());
                var r = get(url, reg.agent().id(), "/api/v1/namespaces/default/pods");
                assertThat(r.status.get(30, TimeUnit.SECONDS)).isEqualTo(200);
                awaitCallsClosed(url);
                used = channels.channel(url);
                assertThat(used).isNotNull();
            }
        }

        // No call to it, no clock moving: the replica closing its connection as it stopped is what tells.
        awaitNoChannel(url, Duration.ofSeconds(10));
        assertThat(used.isShutdown()).isTrue();
        assertThat(channels.channel(holderUrl)).as("the channel to the replica still there").isSameAs(toHolder);
        assertThat(toHolder.isShutdown()).isFalse();
    }

    @Test
    void channelToAnAddressThatRefusesConnectionsIsClosedOnceTheCallFailed() throws Exception {
        String nobody = "grpc://127.0.0.1:" + Programs.freePort();

        var r = get(nobody, agentId, "/api/v1/namespaces/default/pods");

        assertThat(r.status.get(30, TimeUnit.SECONDS)).isEqualTo(503);
        assertThat(r.end.get(30, TimeUnit.SECONDS)).contains(nobody).contains("unreachable");
        awaitNoChannel(nobody, Duration.ofSeconds(10));
        assertThat(channels.openChannels()).isZero();
        assertThat(channels.recentlyUnreachable(nobody)).isTrue();
        assertThat(channels.recentlyUnreachable(holderUrl)).isFalse();
    }

    @Test
    void replicaThatCouldNotBeConnectedToIsTriedAfterTheOtherHolders() throws Exception {
        // A host that drops packets costs a connect timeout per attempt: once it failed, the other holders go first.
        String nobody = "grpc://127.0.0.1:" + Programs.freePort();
        assertThat(get(nobody, agentId, "/api/v1/namespaces/default/pods").status.get(30, TimeUnit.SECONDS)).isEqualTo(503);
        awaitNoChannel(nobody, Duration.ofSeconds(10));
        var metrics = new ProxyMetrics(() -> 0, () -> 0);

        var heard = new Heard();
        heard.tunnel = new RemoteTunnel(channels, List.of(nobody, holderUrl), agentId, metrics, JsonLog.quiet());
        heard.tunnel.start(RequestInfo.newBuilder().setMethod("GET").setPath("/api/v1/namespaces/default/pods").setAcceptsResponse(true).build(), heard);
        heard.tunnel.closeSend();

        assertThat(heard.status.get(30, TimeUnit.SECONDS)).isEqualTo(200);
        assertThat(metrics.retriesOnNextReplica()).as("retries: the unreachable replica was not tried first").isZero();
        assertThat(channels.channel(nobody)).isNull();
    }

    @Test
    void replicaThatAnswersWithAFailureKeepsItsChannel() throws Exception {
        var ok = get("/api/v1/namespaces/default/pods");
        assertThat(ok.status.get(30, TimeUnit.SECONDS)).isEqualTo(200);
        awaitCallsClosed();
        var used = channels.channel(holderUrl);

        // The holder is up but holds no tunnel of this agent: it answers 503 itself.
        var failed = get(holderUrl, agentId + 1000, "/api/v1/namespaces/default/pods");
        assertThat(failed.status.get(60, TimeUnit.SECONDS)).isEqualTo(503);
        awaitCallsClosed();

        assertThat(channels.channel(holderUrl)).as("the channel after a failure the replica answered").isSameAs(used);
        assertThat(used.isShutdown()).isFalse();
        assertThat(get("/api/v1/namespaces/default/pods").status.get(30, TimeUnit.SECONDS)).isEqualTo(200);
        assertThat(channels.channel(holderUrl)).isSameAs(used);
    }

    @Test
    void replicaBackAtTheSameAddressAnswersTheNextCall() throws Exception {
        int port = Programs.freePort();
        String url;
        try (var first = replicaAt(port)) {
            url = first.kas.config().ownPrivateApiUrl();
            var reg = first.register("group/project", "rolling");
            try (Agent onIt = first.startAgent(reg.token(), upstream.url())) {
                first.awaitConnected(reg.agent().id());
                assertThat(get(url, reg.agent().id(), "/api/v1/namespaces/default/pods").status.get(30, TimeUnit.SECONDS)).isEqualTo(200);
            }
        }
        // Away for a while (a rolling update: the pod is replaced, its IP goes to the new pod): calls meanwhile fail.
        // Real time on purpose, not a wait: the reconnect backoff a kept channel would meet is gRPC's own, which grows
        // over these seconds and takes no clock the test could move.
        long away = System.nanoTime();
        while (System.nanoTime() - away < Duration.ofSeconds(8).toNanos()) {
            assertThat(get(url, agentId, "/api/v1/namespaces/default/pods").status.get(30, TimeUnit.SECONDS)).isEqualTo(503);
            Thread.sleep(250);
        }

        try (var back = replicaAt(port)) {
            assertThat(back.kas.config().ownPrivateApiUrl()).isEqualTo(url);
            var reg = back.register("group/project", "rolled");
            try (Agent onIt = back.startAgent(reg.token(), upstream.url())) {
                back.awaitConnected(reg.agent().id());

                var r = get(url, reg.agent().id(), "/api/v1/namespaces/default/pods");

                assertThat(r.status.get(30, TimeUnit.SECONDS)).as("first call to the replica back at %s: %s", url, r.end.getNow("")).isEqualTo(200);
                assertThat(r.end.get(30, TimeUnit.SECONDS)).isEqualTo("response");
                assertThat(channels.recentlyUnreachable(url)).as("once connected again, first in line again").isFalse();
            }
        }
    }
}
