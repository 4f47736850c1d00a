package dev.kastor.bridge.routing.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.kastor.bridge.Bridge;
import dev.kastor.bridge.RedisServer;
import dev.kastor.bridge.Upstream;
import dev.kastor.bridge.agent.Agent;
import dev.kastor.bridge.tunnel.rpc.Header;
import dev.kastor.bridge.tunnel.rpc.RequestInfo;
import dev.kastor.bridge.tunnel.server.TunnelListener;
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
 * Channels to other replicas close once idle, never under a call. A real replica (KAS with its private API, Redis,
 * an agent) answers; this replica's side is a {@link ReplicaChannels} whose clock the test moves by hand, so minutes of
 * idleness take no time.
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
        var heard = new Heard();
        heard.tunnel = new RemoteTunnel(channels, List.of(holderUrl), agentId, () -> {});
        heard.tunnel.start(RequestInfo.newBuilder().setMethod("GET").setPath(path).setAcceptsResponse(true).build(), heard);
        heard.tunnel.closeSend();
        return heard;
    }

    /** gRPC closes a call a moment after its last frame reached the listener (the holder's status follows it). */
    void awaitCallsClosed() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (channels.callsInFlight(holderUrl) != 0) {
            assertThat(System.nanoTime()).as("calls to %s closed within 30 s", holderUrl).isLessThan(deadline);
            Thread.sleep(10);
        }
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
}
