package dev.kastor.bridge.kubeapi.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.Upstream;
import dev.kastor.bridge.tunnel.rpc.Impersonation;
import dev.kastor.bridge.tunnel.rpc.RequestInfo;
import dev.kastor.bridge.tunnel.rpc.Values;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The agent's own guard, whatever KAS let through: a request reaches the API server with the agent's token, so only
 * the impersonation KAS decided may go with it, never an {@code Impersonate-*} header the client sent. The request is
 * handed to the forwarder as the tunnel would (this test plays KAS's end of the stream); the API server is a real
 * HTTP server recording what it received.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ClientImpersonationHeadersDroppedTest {
    static Upstream api;
    static KubeApiForwarder forwarder;

    @BeforeAll
    static void start() throws Exception {
        api = new Upstream().handle("/api/v1/pods", ex -> Upstream.send(ex, 200, "application/json", "{}".getBytes(StandardCharsets.UTF_8)));
        forwarder = new KubeApiForwarder(new KubeApiUpstream(api.url(), null, () -> "agent-sa-token"));
    }

    @AfterAll
    static void stop() {
        if (api != null) api.close();
    }

    private static Map<String, List<String>> forward(Impersonation decidedByKas) throws Exception {
        var info = RequestInfo.newBuilder().setMethod("GET").setPath("/api/v1/pods").setCorrelationId("t")
                .putHeaders("Impersonate-User", values("system:admin"))
                .putHeaders("impersonate-group", values("system:masters"))
                .putHeaders("Impersonate-Extra-scopes", values("all"))
                .putHeaders("Impersonate-Uid", values("0"))
                .putHeaders("Accept", values("application/json"))
                .setImpersonation(decidedByKas).build();
        int before = api.seen.size();
        var answer = new RecordedAnswer();
        forwarder.handle(info, answer);
        assertThat(answer.status).isEqualTo(200);
        assertThat(api.seen).hasSize(before + 1);
        return api.seen.get(before).headers();
    }

    private static Values values(String v) {
        return Values.newBuilder().addValue(v).build();
    }

    @Test
    void runningAsTheAgentTheClientsImpersonationHeadersNeverReachTheApiServer() throws Exception {
        var seen = forward(Impersonation.getDefaultInstance());

        assertThat(seen.keySet()).noneMatch(name -> name.toLowerCase().startsWith("impersonate-"));
        assertThat(seen.get("Authorization")).containsExactly("Bearer agent-sa-token");
        assertThat(seen.get("Accept")).containsExactly("application/json");
    }

    @Test
    void impersonatingOnlyKasDecisionReachesTheApiServer() throws Exception {
        var seen = forward(Impersonation.newBuilder().setUsername("gitlab:ci_job:7").addGroups("gitlab:ci_job").build());

        assertThat(seen.get("Impersonate-user")).containsExactly("gitlab:ci_job:7");
        assertThat(seen.get("Impersonate-group")).containsExactly("gitlab:ci_job");
        assertThat(seen.keySet()).noneMatch(name -> name.toLowerCase().startsWith("impersonate-extra-") || name.equalsIgnoreCase("impersonate-uid"));
    }
}
