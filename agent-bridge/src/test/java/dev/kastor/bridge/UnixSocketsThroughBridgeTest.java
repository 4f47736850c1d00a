package dev.kastor.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.agentapp.Agent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A KAS whose agent port, API port and k8s proxy are UNIX sockets, with a real agent dialling {@code unix://} and a
 * CI job's request through the k8s proxy's socket (kubectl cannot dial one: a front proxy would, as here the test).
 */
class UnixSocketsThroughBridgeTest {
    @Test
    void aJobsRequestOnTheK8sProxySocketReachesTheClusterThroughAnAgentOnTheAgentSocket(@TempDir Path dir) throws Exception {
        try (var upstream = new Upstream().handle("/api/v1/namespaces/default/pods", ex -> Upstream.send(ex, 200, "application/json",
                     "{\"kind\":\"PodList\",\"items\":[]}".getBytes(StandardCharsets.UTF_8)));
             var bridge = Bridge.onUnixSockets(dir, dir)) {
            assertThat(bridge.grpcUrl().toString()).startsWith("unix:///");
            var connected = bridge.connectAgent("job-token-1", 501, upstream.url());
            try (Agent agent = connected.agent()) {
                String answer = UnixHttp.get(dir.resolve("k8s-proxy.socket"), "/k8s-proxy/api/v1/namespaces/default/pods?limit=3",
                        Map.of("Authorization", "Bearer ci:" + connected.id() + ":job-token-1"));

                assertThat(answer).startsWith("HTTP/1.1 200").endsWith("{\"kind\":\"PodList\",\"items\":[]}");
                assertThat(upstream.seen).anyMatch(s -> "limit=3".equals(s.query()));
                assertThat(UnixHttp.get(dir.resolve("api.socket"), "/healthz", Map.of())).startsWith("HTTP/1.1 200");
            }
        }
    }
}
