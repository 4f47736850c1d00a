package dev.kastor.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.agentapp.Agent;
import dev.kastor.testing.Eventually;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A CI job's kubectl while KAS has just started and its agent is not back yet (a KAS rollout, a restarted replica):
 * KAS answers 503 with {@code Retry-After}, and the real kubectl (client-go) comes back by itself until the agent is
 * there, instead of failing the job.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KubectlWhileAgentReconnectsTest {
    @TempDir
    Path dir;

    @Test
    void kubectlStartedBeforeTheAgentIsBackSucceedsOnceItIs() throws Exception {
        var cert = dev.kastor.testing.SelfSignedCert.create(dir, "kas");
        try (var upstream = new Upstream().handle("/api/v1/namespaces/default/configmaps", ex -> {
                byte[] body = "{\"kind\":\"ConfigMapList\",\"apiVersion\":\"v1\",\"items\":[]}".getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().set("Content-Type", "application/json");
                ex.sendResponseHeaders(200, body.length);
                try (ex) {
                    ex.getResponseBody().write(body);
                }
            });
             var bridge = new Bridge(dir, cert)) {
            var reg = bridge.register("group/project", "prod");
            long id = reg.agent().id();
            bridge.job("reconnect-job", 41, 77, "group/app", id);
            Path kubeconfig = Kubeconfigs.write(dir.resolve("kubeconfig"), bridge.proxyUrl(), cert, "group/project:prod", id, "reconnect-job");
            var pb = new ProcessBuilder(List.of("kubectl", "--kubeconfig", kubeconfig.toString(), "get", "--raw",
                    URI.create(bridge.proxyUrl()).getPath() + "/api/v1/namespaces/default/configmaps"));
            pb.environment().put("HOME", dir.toString());
            Process kubectl = pb.start();

            // kubectl was told to come back: the agent is not connected yet
            Eventually.until(Duration.ofSeconds(30), () -> "kubectl refused with 503", () -> bridge.kas.metrics().requests(503) > 0);
            assertThat(kubectl.isAlive()).as("kubectl waits and tries again instead of failing").isTrue();
            try (Agent agent = bridge.startAgent(reg.token(), upstream.url())) {
                assertThat(kubectl.waitFor(60, TimeUnit.SECONDS)).isTrue();
                String out = new String(kubectl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                String err = new String(kubectl.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);

                assertThat(kubectl.exitValue()).as(err).isZero();
                assertThat(out).contains("ConfigMapList");
                assertThat(upstream.seen).extracting(Upstream.Seen::path).contains("/api/v1/namespaces/default/configmaps");
            }
        }
    }
}
