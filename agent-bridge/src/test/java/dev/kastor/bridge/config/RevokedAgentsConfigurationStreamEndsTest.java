package dev.kastor.bridge.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.Bridge;
import dev.kastor.bridge.agents.AgentStore;
import dev.kastor.bridge.agents.AgentStreams;
import dev.kastor.bridge.agents.RevocationSweep;
import dev.kastor.bridge.config.server.ConfigServerModule;
import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A revoked agent's {@code GetConfiguration} stream ends with its tunnel streams, on the same sweep: it was checked
 * only when it started, so it kept receiving its project's configuration changes for as long as the agent stayed up.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RevokedAgentsConfigurationStreamEndsTest {
    @TempDir
    Path dir;

    static void await(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("not within 20 s: " + what);
            Thread.sleep(20);
        }
    }

    @Test
    void revokingEndsTheAgentsConfigurationStreamWithinAFewSweepsAndKeepsOthers() throws Exception {
        try (var bridge = new Bridge(dir)) {
            AgentStreams configStreams = bridge.kas.module(ConfigServerModule.class).agentStreams().getFirst();
            var revoked = bridge.connectAgent("job-token", 1, URI.create("http://127.0.0.1:1"));
            var kept = bridge.register("group/project", "kept");
            try (var keptAgent = bridge.startAgent(kept.token(), URI.create("http://127.0.0.1:1"))) {
                await("both configuration streams open", () -> configStreams.connectedAgentIds().containsAll(
                        java.util.List.of(revoked.id(), kept.agent().id())));

                long revokedAt = System.nanoTime();
                assertThat(new AgentStore(dir.resolve("agents.json")).revoke(revoked.id())).isTrue();
                await("the revoked agent's configuration stream ended", () -> !configStreams.connectedAgentIds().contains(revoked.id()));
                long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - revokedAt);

                assertThat(took).isLessThan(RevocationSweep.EVERY.toMillis() * 10);
                assertThat(configStreams.connectedAgentIds()).contains(kept.agent().id());
                assertThat(bridge.logText()).contains("ended the configuration streams of a revoked agent");
                // and its attempts to open a new one are refused at the start: it stays without one
                Thread.sleep(1500);
                assertThat(configStreams.connectedAgentIds()).doesNotContain(revoked.id());
            } finally {
                revoked.agent().close();
            }
        }
    }
}
