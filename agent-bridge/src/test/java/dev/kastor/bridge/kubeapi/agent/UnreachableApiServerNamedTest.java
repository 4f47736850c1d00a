package dev.kastor.bridge.kubeapi.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.Bridge;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.testing.Eventually;
import dev.kastor.testing.Programs;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * An agent whose Kubernetes API server cannot be reached says so with the address and what went wrong, in its log
 * and in the Status a job gets: the JDK's ConnectException has no message, and its log once read {@code "error":"null"}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UnreachableApiServerNamedTest {
    static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path dir;

    @Test
    void theAgentsLogAndTheJobsStatusNameTheAddressAndTheFailureNeverNull() throws Exception {
        URI unreachable = URI.create("http://127.0.0.1:" + Programs.freePort());
        var logs = new ByteArrayOutputStream();
        try (var bridge = new Bridge(dir)) {
            var reg = bridge.register("group/project", "prod");
            bridge.job("job-token", 1, 77, "group/app", reg.agent().id());
            try (var agent = bridge.startAgent(reg.token(), unreachable, new JsonLog(new PrintStream(logs, true, StandardCharsets.UTF_8), "agent"))) {
                bridge.awaitConnected(reg.agent().id());
                JsonNode line = awaitLine(logs, "cannot read the Kubernetes version, registering without it");
                assertThat(line.path("url").asString()).isEqualTo(unreachable + "/version");
                assertThat(line.path("error").asString()).contains("Connection refused").doesNotContain("null");

                var res = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(bridge.proxyUrl() + "/api/v1/namespaces/default/pods"))
                        .header("Authorization", "Bearer ci:" + reg.agent().id() + ":job-token").timeout(Duration.ofSeconds(30)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(res.statusCode()).isEqualTo(502);
                assertThat(JSON.readTree(res.body()).path("message").asString())
                        .startsWith("the agent cannot reach the Kubernetes API server " + unreachable + ": ")
                        .contains("Connection refused").doesNotContain("null");
            }
        }
        assertThat(logs.toString(StandardCharsets.UTF_8)).doesNotContain("\"null\"").doesNotContain(": null");
    }

    private static JsonNode awaitLine(ByteArrayOutputStream logs, String msg) throws InterruptedException {
        return Eventually.value(Duration.ofSeconds(20), () -> "a log line \"" + msg + "\":\n" + logs.toString(StandardCharsets.UTF_8),
                () -> logs.toString(StandardCharsets.UTF_8).lines().map(JSON::readTree).filter(n -> msg.equals(n.path("msg").asString())).findFirst(),
                Optional::isPresent).orElseThrow();
    }
}
