package dev.kastor.bridge.tunnel.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.tunnel.TunnelDefaults;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class TunnelFinderTest {
    @Test
    void agentMissingJustAfterKasStartedIsToldToComeBack() {
        var registry = new TunnelRegistry(Duration.ofSeconds(3));

        var refusal = TunnelFinder.noTunnel(registry, 7);

        assertThat(refusal.getMessage()).startsWith("agent 7 is not connected to KAS yet: KAS started 3 s ago");
        assertThat(refusal.retryAfterSeconds()).isEqualTo(TunnelDefaults.RETRY_AFTER_SECONDS);
    }

    @Test
    void aReplicaJustStartedSaysNoReplicaHasTheAgentYet() {
        var refusal = TunnelFinder.noTunnel(new TunnelRegistry(Duration.ofSeconds(12)), 7, "any KAS replica");

        assertThat(refusal.getMessage()).startsWith("agent 7 is not connected to any KAS replica yet: KAS started 12 s ago");
        assertThat(refusal.retryAfterSeconds()).isEqualTo(TunnelDefaults.RETRY_AFTER_SECONDS);
    }

    @Test
    void agentMissingLongAfterKasStartedIsNotConnectedAndNotRetried() {
        var registry = new TunnelRegistry(TunnelDefaults.RECONNECT_WINDOW.plusSeconds(1));

        var refusal = TunnelFinder.noTunnel(registry, 7);

        assertThat(refusal.getMessage()).isEqualTo("agent 7 is not connected to KAS: check that kastor-agent runs in the cluster and reaches KAS");
        assertThat(refusal.retryAfterSeconds()).isZero();
    }
}
