package dev.kastor.bridge.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.Bridge;
import dev.kastor.bridge.agents.AgentStore;
import dev.kastor.bridge.agents.AgentStreams;
import dev.kastor.bridge.agents.RevocationSweep;
import dev.kastor.bridge.config.server.ConfigServerModule;
import dev.kastor.testing.Eventually;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
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
        await(Duration.ofSeconds(20), what, condition);
    }

    static void await(Duration limit, String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
        Eventually.until(limit, () -> what, condition::getAsBoolean);
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

                assertThat(new AgentStore(dir.resolve("agents.json")).revoke(revoked.id())).isTrue();
                // The bound checked: "a few sweeps", with a generous margin (10) for a slow machine.
                await(RevocationSweep.EVERY.multipliedBy(10), "the revoked agent's configuration stream ended",
                        () -> !configStreams.connectedAgentIds().contains(revoked.id()));

                assertThat(configStreams.connectedAgentIds()).contains(kept.agent().id());
                // the sweep logs once it has ended the calls, so the line may follow the stream's end
                await("the sweep's log line", () -> bridge.logText().contains("ended the configuration streams of a revoked agent"));
                // and its attempts to open a new one are refused at the start: it stays without one. An absence shows
                // only over a span; this one holds several of its retries (Bridge's agents back off 0.2–2 s).
                Thread.sleep(1500);
                assertThat(configStreams.connectedAgentIds()).doesNotContain(revoked.id());
            } finally {
                revoked.agent().close();
            }
        }
    }
}
