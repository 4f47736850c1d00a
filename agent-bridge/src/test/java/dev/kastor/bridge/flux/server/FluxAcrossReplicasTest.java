package dev.kastor.bridge.flux.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.Bridge;
import dev.kastor.bridge.RedisServer;
import dev.kastor.bridge.flux.rpc.FluxEvent;
import dev.kastor.bridge.flux.rpc.GitPush;
import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.testing.Eventually;
import dev.kastor.testing.GitLabApiStandIn;
import dev.kastor.testing.Programs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two real KAS replicas on one real Redis: a webhook that lands on replica A reaches an agent watching on replica B,
 * and A's own agents, each exactly once. With Redis away, A's agents still learn of what lands on A.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FluxAcrossReplicasTest {
    static final String SECRET = "flux-webhook-secret-r";

    @TempDir
    static Path dir;
    static RedisServer redis;
    static GitLabApiStandIn gitlab;
    static Bridge replicaA;
    static Bridge replicaB;

    @BeforeAll
    static void start() throws Exception {
        redis = RedisServer.start();
        gitlab = GitLabApiStandIn.start();
        var flux = new KasConfig.Flux(Files.writeString(dir.resolve("hook-secret"), SECRET).toString(), "off", null, null);
        Path shared = Files.createDirectories(dir.resolve("kas"));
        replicaA = Bridge.withFlux(shared, flux, null, gitlab, new Bridge.Replica(redis.url()));
        replicaB = Bridge.withFlux(shared, flux, null, gitlab, new Bridge.Replica(redis.url()));
    }

    @AfterAll
    static void stop() {
        Programs.closeAll(replicaB, replicaA, gitlab, redis);
    }

    static FluxEvent gitPush(String project) {
        return FluxEvent.newBuilder().setGitPush(GitPush.newBuilder().setProject(project)).build();
    }

    static void hookOnA(String project) throws Exception {
        var r = Posts.pushHook(replicaA.apiUrl(), SECRET, "Push Hook", project);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    }

    /** Both replicas subscribed: Redis counts two subscribers on the channel. */
    static void awaitSubscribed() throws Exception {
        Eventually.until(Duration.ofSeconds(30), () -> "both replicas subscribed to the flux channel", () -> {
            var counts = (java.util.List<?>) redis.command("PUBSUB", "NUMSUB", "kastor-test" + FluxServerDefaults.CHANNEL_SUFFIX);
            return Long.valueOf(2).equals(counts.get(1));
        });
    }

    @Test
    void webhookOnOneReplicaReachesAgentsOnBothExactlyOnce() throws Exception {
        awaitSubscribed();
        try (var onB = new WatchClient(replicaB.kas.agentPort(), replicaA.register("group/agents", "on-b").token());
             var onA = new WatchClient(replicaA.kas.agentPort(), replicaA.register("group/agents", "on-a").token())) {
            onB.next();
            onA.next();

            hookOnA("group/first");
            hookOnA("group/second");

            // in order, and the first not twice: the event after it is the second
            assertThat(onB.next()).isEqualTo(gitPush("group/first"));
            assertThat(onB.next()).isEqualTo(gitPush("group/second"));
            assertThat(onA.next()).isEqualTo(gitPush("group/first"));
            assertThat(onA.next()).isEqualTo(gitPush("group/second"));
        }
    }

    @Test
    void withRedisAwayAReplicasOwnAgentsStillLearnOfPushesAndItSaysSo() throws Exception {
        try (var onA = new WatchClient(replicaA.kas.agentPort(), replicaA.register("group/agents", "redis-away").token())) {
            onA.next();
            redis.stop();
            try {
                hookOnA("group/while-away");

                assertThat(onA.next()).isEqualTo(gitPush("group/while-away"));
                assertThat(replicaA.logText()).contains("flux events reach only the agents connected to this replica");
            } finally {
                redis.startAgain();
            }
            // Lettuce reconnects and subscribes again by itself: pushes cross replicas again
            awaitSubscribed();
            try (var onB = new WatchClient(replicaB.kas.agentPort(), replicaA.register("group/agents", "after-redis").token())) {
                onB.next();
                hookOnA("group/back");
                assertThat(onB.next()).isEqualTo(gitPush("group/back"));
                assertThat(onA.next()).isEqualTo(gitPush("group/back"));
            }
        }
    }
}
