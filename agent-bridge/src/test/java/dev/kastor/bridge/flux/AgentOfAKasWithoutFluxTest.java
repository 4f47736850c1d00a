package dev.kastor.bridge.flux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.Bridge;
import dev.kastor.bridge.Upstream;
import dev.kastor.bridge.flux.server.Posts;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.testing.Eventually;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The flux feature is off on a KAS without a {@code flux} section: its agents hold their Watch call but never send the
 * API server a request of their own (no CRD lookup, no informer, no Receiver list), so installing Kastor over a
 * cluster changes nothing there until the feature is turned on.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AgentOfAKasWithoutFluxTest {
    @TempDir
    Path dir;

    @Test
    void theAgentSendsTheApiServerNothingOfItsOwn() throws Exception {
        try (var upstream = new Upstream().handle("/", ex -> Upstream.send(ex, 200, "application/json", "{}".getBytes()));
             var bridge = new Bridge(dir)) {
            var registered = bridge.register("group/agents", "plain");
            try (var agent = bridge.startAgent(registered.token(), upstream.url(), null, JsonLog.quiet())) {
                Eventually.until(Duration.ofSeconds(30), () -> "the agent's flux watch open", () -> metrics(bridge).contains("kastor_kas_flux_watches 1"));
                // An absence shows only over a span: the agent acts on the Instance at once, on its own thread.
                Thread.sleep(1000);
                // (registration asks /version for the Kubernetes version it reports: that is not the flux feature's)
                assertThat(upstream.seen).filteredOn(s -> !s.path().equals("/version")).isEmpty();
            }
        }
    }

    private static String metrics(Bridge bridge) throws Exception {
        return Posts.get(bridge.apiUrl(), "/metrics").body();
    }
}
