package dev.kastor.testing.kube;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * The stand-in's service proxy, spoken to over verified TLS with the JDK HttpClient and forwarding to a real HTTP server
 * (a JDK HttpServer playing Flux's webhook receiver): a request on a service's proxy path reaches the service with its
 * method, path, query, body and headers, and the service's answer comes back; a service no test gave a target answers
 * as the API server does for a service without endpoints.
 */
class ServiceProxyStandInTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** What the receiver got: method, path and query, content type, GitLab token, authorization, body. */
    private record Received(String method, String pathAndQuery, String contentType, String gitlabToken, String authorization, String body) {}

    private static final LinkedBlockingQueue<Received> received = new LinkedBlockingQueue<>();
    private static KubeStandIn kube;
    private static HttpServer receiver;
    private static HttpClient http;

    @BeforeAll
    static void start() throws IOException {
        receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        receiver.createContext("/", exchange -> {
            var h = exchange.getRequestHeaders();
            received.add(new Received(exchange.getRequestMethod(), exchange.getRequestURI().toString(), h.getFirst("Content-Type"),
                    h.getFirst("X-Gitlab-Token"), h.getFirst("Authorization"), new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)));
            byte[] answer = "{\"accepted\":true}".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(202, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        receiver.start();
        kube = KubeStandIn.start();
        kube.proxyService("flux-system", "webhook-receiver", URI.create("http://127.0.0.1:" + receiver.getAddress().getPort()));
        http = HttpClient.newBuilder().sslContext(kube.sslContext()).build();
    }

    @AfterAll
    static void stop() {
        if (http != null) http.close();
        if (kube != null) kube.close();
        if (receiver != null) receiver.stop(0);
    }

    private static HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
        var request = HttpRequest.newBuilder(URI.create(kube.url() + path)).header("Authorization", "Bearer agent-sa-token")
                .header("Content-Type", "application/json").header("X-Gitlab-Token", "receiver-token")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static Received next() throws InterruptedException {
        Received r = received.poll(10, TimeUnit.SECONDS);
        assertThat(r).as("a request at the receiver").isNotNull();
        return r;
    }

    @Test
    void aPostThroughTheProxyPathReachesTheServiceWithPathQueryBodyAndHeadersAndItsAnswerComesBack() throws Exception {
        var r = post("/api/v1/namespaces/flux-system/services/webhook-receiver/proxy/hook/abc123?source=kastor", "{\"object_kind\":\"push\"}");

        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        assertThat(r.body()).isEqualTo("{\"accepted\":true}");
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(next()).isEqualTo(new Received("POST", "/hook/abc123?source=kastor", "application/json", "receiver-token", null,
                "{\"object_kind\":\"push\"}"));
    }

    @Test
    void theSchemeAndPortFormsOfTheServiceSegmentReachTheSameService() throws Exception {
        for (String segment : new String[] {"webhook-receiver:80", "http:webhook-receiver:80", "http:webhook-receiver:", "http%3Awebhook-receiver%3A80"}) {
            var r = post("/api/v1/namespaces/flux-system/services/" + segment + "/proxy/hook/x", "{}");
            assertThat(r.statusCode()).as(segment + ": " + r.body()).isEqualTo(202);
            assertThat(next().pathAndQuery()).as(segment).isEqualTo("/hook/x");
        }
    }

    @Test
    void aServiceWithoutATargetAnswers503StatusAsOneWithoutEndpointsDoes() throws Exception {
        var other = post("/api/v1/namespaces/flux-system/services/notification-controller/proxy/hook/abc123", "{}");
        var otherNamespace = post("/api/v1/namespaces/default/services/webhook-receiver/proxy/hook/abc123", "{}");

        for (var r : List.of(other, otherNamespace)) {
            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
        }
        assertThat(JSON.readTree(other.body())).isEqualTo(JSON.readTree("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
                + "\"message\":\"no endpoints available for service \\\"notification-controller\\\"\",\"reason\":\"ServiceUnavailable\",\"code\":503}"));
        assertThat(JSON.readTree(otherNamespace.body()).get("message").asString()).isEqualTo("no endpoints available for service \"webhook-receiver\"");
        assertThat(received).isEmpty();
    }
}
