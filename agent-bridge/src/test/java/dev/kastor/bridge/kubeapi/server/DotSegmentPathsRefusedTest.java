package dev.kastor.bridge.kubeapi.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.Bridge;
import dev.kastor.bridge.BridgeWithAgent;
import dev.kastor.bridge.Upstream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A job's path never leaves the Kubernetes API. The agent's API server may sit behind a base path (Rancher:
 * {@code --kube-api-url https://rancher/k8s/clusters/c-1}), where {@code /k8s-proxy/../../v3/settings} would reach
 * Rancher's own API as {@code /k8s/clusters/c-1/../../v3/settings}. KAS refuses {@code .} and {@code ..} segments,
 * plain or percent-encoded, with a 400 Status before anything goes upstream; paths kube-apiserver serves pass
 * unchanged. Raw sockets send the paths byte for byte (no client normalises them); the upstream records what reaches it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DotSegmentPathsRefusedTest {
    @RegisterExtension
    static final BridgeWithAgent kas = new BridgeWithAgent(
            () -> new Upstream().handle("/", ex -> Upstream.send(ex, 200, "application/json", "{}".getBytes(StandardCharsets.UTF_8))), "job-token", 1)
            .under("/k8s/clusters/c-1");
    static Bridge bridge;
    static Upstream upstream;
    static long agentId;
    static final JsonMapper JSON = JsonMapper.builder().build();

    @BeforeAll
    static void start() {
        bridge = kas.bridge();
        upstream = kas.upstream();
        agentId = kas.agentId();
    }

    /** Status code and body of a GET of {@code target} exactly as written, on a connection of its own. */
    static String[] get(String target) throws IOException {
        try (var s = new Socket(InetAddress.getLoopbackAddress(), bridge.kas.k8sProxyPort())) {
            s.getOutputStream().write(("GET " + target + " HTTP/1.1\r\nHost: kas\r\nAuthorization: Bearer ci:" + agentId
                    + ":job-token\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return new String[] {answer.substring(9, 12), answer.substring(answer.indexOf("\r\n\r\n") + 4)};
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "/k8s-proxy/../../v3/settings",
        "/k8s-proxy/api/v1/../../../../v3/settings?watch=1",
        "/k8s-proxy/%2e%2e/%2E%2e/v3/settings",
        "/k8s-proxy/api/v1/namespaces/..%2f..%2f..%2f..%2fv3/settings",
        "/k8s-proxy/api/v1/namespaces/%2e%2e%2F%2e%2e%2Fv3",
        "/k8s-proxy/api/./v1/pods",
        "/k8s-proxy/api/v1/namespaces/default/pods/%2e",
        "/k8s-proxy/.."})
    void dotSegmentsGet400StatusAndNothingReachesTheApiServer(String target) throws Exception {
        int before = upstream.seen.size();

        String[] r = get(target);

        assertThat(r[0]).as(target).isEqualTo("400");
        JsonNode status = JSON.readTree(r[1]);
        assertThat(status.path("kind").asString()).isEqualTo("Status");
        assertThat(status.path("reason").asString()).isEqualTo("BadRequest");
        assertThat(status.path("message").asString()).contains("segment", "not forwarded").as("KAS itself refuses").doesNotContain("the agent");
        assertThat(upstream.seen).as("nothing reaches the API server").hasSize(before);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "/api/v1/namespaces/default/pods/name:with:colons",
        "/api/v1/namespaces/default/pods/my.pod",
        "/api/v1/namespaces/default/configmaps/a..b",
        "/apis/apps/v1/namespaces/default/deployments/...",
        "/api/v1/namespaces/default/pods/web-0/proxy/a%2Fb"})
    void pathsKubeApiserverServesReachItUnderTheBasePathUnchanged(String path) throws Exception {
        int before = upstream.seen.size();

        String[] r = get("/k8s-proxy" + path);

        assertThat(r[0]).as(path).isEqualTo("200");
        assertThat(upstream.seen).hasSize(before + 1);
        assertThat(upstream.seen.get(before).rawPath()).isEqualTo("/k8s/clusters/c-1" + path);
    }
}
