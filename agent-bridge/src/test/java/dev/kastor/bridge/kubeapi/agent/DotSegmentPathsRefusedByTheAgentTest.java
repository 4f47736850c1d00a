package dev.kastor.bridge.kubeapi.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.Upstream;
import dev.kastor.bridge.tunnel.rpc.RequestInfo;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The agent's own guard, whatever KAS let through (a KAS of another version may not check): a path with a {@code .}
 * or {@code ..} segment, plain or percent-encoded, is refused with 400 and never reaches the API server behind its
 * base path. The request is handed to the forwarder as the tunnel would; the API server is a real HTTP server
 * recording what it received.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DotSegmentPathsRefusedByTheAgentTest {
    static Upstream api;
    static KubeApiForwarder forwarder;

    @BeforeAll
    static void start() throws Exception {
        api = new Upstream().handle("/", ex -> Upstream.send(ex, 200, "application/json", "{}".getBytes(StandardCharsets.UTF_8)));
        forwarder = new KubeApiForwarder(new KubeApiUpstream(api.url().resolve("/k8s/clusters/c-1"), null, () -> "agent-sa-token"));
    }

    @AfterAll
    static void stop() {
        if (api != null) api.close();
    }

    private static RecordedAnswer forward(String path) throws Exception {
        var answer = new RecordedAnswer();
        forwarder.handle(RequestInfo.newBuilder().setMethod("GET").setPath(path).setCorrelationId("t").build(), answer);
        return answer;
    }

    @ParameterizedTest
    @ValueSource(strings = {"/../../v3/settings", "/api/v1/%2e%2E/%2e%2e/%2E%2E/v3/settings", "/api/v1/namespaces/..%2F..%2F..%2Fv3", "/api/./v1"})
    void dotSegmentsAreRefusedWith400AndNeverReachTheApiServer(String path) throws Exception {
        int before = api.seen.size();

        var answer = forward(path);

        assertThat(answer.status).isEqualTo(400);
        assertThat(answer.message).contains("the agent refuses", "segment");
        assertThat(api.seen).hasSize(before);
    }

    @Test
    void namesWithDotsAndColonsReachTheApiServerUnderItsBasePath() throws Exception {
        int before = api.seen.size();

        var answer = forward("/api/v1/namespaces/default/pods/my.pod:8080");

        assertThat(answer.status).isEqualTo(200);
        assertThat(api.seen.get(before).rawPath()).isEqualTo("/k8s/clusters/c-1/api/v1/namespaces/default/pods/my.pod:8080");
    }
}
