package dev.kastor.bridge.kubeapi.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.Bridge;
import dev.kastor.bridge.BridgeWithAgent;
import dev.kastor.bridge.Upstream;
import dev.kastor.bridge.kubeapi.KubeApiDefaults;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What kube-apiserver (Go's net/http: a 1 MiB request head) accepts, KAS accepts and the tunnel carries whole: a
 * 20 KiB label selector in the URL, a 100 KiB header. Beyond the limit the client gets 414 or 431 as a Status and the
 * connection closes, never a silent close. The JDK HttpClient and raw sockets against a real KAS and agent; the
 * upstream records what reaches it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LargeRequestHeadsTest {
    @RegisterExtension
    static final BridgeWithAgent kas = new BridgeWithAgent(
            () -> new Upstream().handle("/api/v1/pods", ex -> Upstream.send(ex, 200, "application/json", "{}".getBytes(StandardCharsets.UTF_8))),
            "job-token", 1);
    static Bridge bridge;
    static Upstream upstream;
    static long agentId;
    static final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static final JsonMapper JSON = JsonMapper.builder().build();

    @BeforeAll
    static void start() {
        bridge = kas.bridge();
        upstream = kas.upstream();
        agentId = kas.agentId();
    }

    static HttpRequest.Builder request(String pathAndQuery) {
        return HttpRequest.newBuilder(URI.create(bridge.proxyUrl() + pathAndQuery)).timeout(Duration.ofSeconds(20))
                .header("Authorization", "Bearer ci:" + agentId + ":job-token");
    }

    @Test
    void twentyKibLabelSelectorReachesTheApiServerWhole() throws Exception {
        String selector = IntStream.range(0, 1300).mapToObj(i -> "app-" + i + "=v" + i).collect(Collectors.joining(","));
        String query = "labelSelector=" + URLEncoder.encode(selector, StandardCharsets.UTF_8);
        assertThat(query.length()).isGreaterThan(20 * 1024);
        int before = upstream.seen.size();

        var r = client.send(request("/api/v1/pods?" + query).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(upstream.seen.get(before).query()).isEqualTo(query);
    }

    @Test
    void hundredKibHeaderReachesTheApiServerWhole() throws Exception {
        String value = "x".repeat(100 * 1024);
        int before = upstream.seen.size();

        var r = client.send(request("/api/v1/pods").header("X-Large", value).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(upstream.seen.get(before).headers().get("X-large")).containsExactly(value);
    }

    @Test
    void requestLineOverTheLimitGets414StatusAndTheConnectionCloses() throws Exception {
        String target = "/k8s-proxy/api/v1/pods?labelSelector=" + "a".repeat(KubeApiDefaults.MAX_REQUEST_HEAD);

        String answer = rawExchange("GET " + target + " HTTP/1.1\r\nHost: kas\r\n\r\n");

        assertStatus(answer, 414, "RequestURITooLong");
    }

    @Test
    void headersOverTheLimitGet431StatusAndTheConnectionCloses() throws Exception {
        var head = new StringBuilder("GET /k8s-proxy/api/v1/pods HTTP/1.1\r\nHost: kas\r\n");
        for (int i = 0; head.length() <= KubeApiDefaults.MAX_REQUEST_HEAD; i++) head.append("X-Large-").append(i).append(": ").append("y".repeat(8000)).append("\r\n");

        String answer = rawExchange(head + "\r\n");

        assertStatus(answer, 431, "RequestHeaderFieldsTooLarge");
    }

    /** Sends {@code request} as written and reads until KAS closes the connection (the test's timeout if it never does). */
    static String rawExchange(String request) throws IOException {
        int before = upstream.seen.size();
        try (var s = new Socket(InetAddress.getLoopbackAddress(), bridge.kas.k8sProxyPort())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            String answer = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertThat(upstream.seen).as("nothing reaches the API server").hasSize(before);
            return answer;
        }
    }

    static void assertStatus(String answer, int code, String reason) {
        assertThat(answer).as("an HTTP answer, not a silent close").startsWith("HTTP/1.1 " + code);
        assertThat(answer).containsIgnoringCase("connection: close");
        JsonNode status = JSON.readTree(answer.substring(answer.indexOf("\r\n\r\n") + 4));
        assertThat(status.path("kind").asString()).isEqualTo("Status");
        assertThat(status.path("code").asInt()).isEqualTo(code);
        assertThat(status.path("reason").asString()).isEqualTo(reason);
        assertThat(status.path("message").asString()).contains(String.valueOf(KubeApiDefaults.MAX_REQUEST_HEAD));
    }
}
