package dev.kastor.bridge.kubeapi.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.Bridge;
import dev.kastor.bridge.Upstream;
import dev.kastor.bridge.agentapp.Agent;
import dev.kastor.bridge.kubeapi.KubeApiDefaults;
import dev.kastor.bridge.kasapp.Kas;
import dev.kastor.testing.Eventually;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

/**
 * One job cannot take an agent's whole tunnel pool: a job over its share of requests in flight, or a runner address
 * over its share, gets 429 with {@code Retry-After} while other jobs go on, and a request body that stops half-way is
 * answered 408 and gives its tunnel stream back. The shares are shortened here (5 per job, 8 per address).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class JobSharesOfAnAgentTest {
    static final Duration BODY_IDLE = Duration.ofMillis(700);
    @TempDir
    static Path dir;
    static Bridge bridge;
    static Upstream upstream;
    static Agent agent;
    static long agentId;
    static final CountDownLatch release = new CountDownLatch(1);
    static final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static final JsonMapper JSON = JsonMapper.builder().build();

    @BeforeAll
    static void start() throws Exception {
        upstream = new Upstream()
                .handle("/api/v1/pods", ex -> {
                    ex.getRequestBody().readAllBytes();
                    Upstream.send(ex, 200, "application/json", "{}".getBytes(StandardCharsets.UTF_8));
                })
                .handle("/hold", ex -> {
                    try (ex) {
                        ex.sendResponseHeaders(200, 0);
                        ex.getResponseBody().write("held\n".getBytes(StandardCharsets.UTF_8));
                        ex.getResponseBody().flush();
                        release.await(60, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
        bridge = Bridge.tuned(dir, new Kas.Tuning(new ProxyLimits(KubeApiDefaults.REQUEST_HEAD_TIMEOUT, KubeApiDefaults.KEEP_ALIVE_IDLE_TIMEOUT,
                BODY_IDLE, 5, 8, 512), Duration.ofSeconds(20)));
        var reg = bridge.register("group/project", "prod");
        agentId = reg.agent().id();
        for (String job : List.of("job-a", "job-b", "job-c")) bridge.job(job, 100 + job.charAt(4), 77, "group/app", agentId);
        agent = bridge.startAgent(reg.token(), upstream.url());
        bridge.awaitConnected(agentId);
    }

    @AfterAll
    static void stop() {
        release.countDown();
        if (agent != null) agent.close();
        if (bridge != null) bridge.close();
        if (upstream != null) upstream.close();
    }

    static HttpRequest.Builder request(String job, String path) {
        return HttpRequest.newBuilder(URI.create(bridge.proxyUrl() + path)).header("Authorization", "Bearer ci:" + agentId + ":" + job)
                .timeout(Duration.ofSeconds(30));
    }

    /** A request whose answer has begun and then waits: it holds one of the agent's streams until the test lets go. */
    static InputStream hold(String job) throws Exception {
        var r = client.send(request(job, "/hold").build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);
        InputStream in = r.body();
        assertThat(new String(in.readNBytes(5), StandardCharsets.UTF_8)).isEqualTo("held\n");
        return in;
    }

    @Test
    void aJobOverItsShareGets429WithRetryAfterWhileOtherJobsGoOnAndItsShareComesBack() throws Exception {
        var held = new ArrayList<InputStream>();
        for (int i = 0; i < 5; i++) held.add(hold("job-a"));

        var over = client.send(request("job-a", "/api/v1/pods").build(), HttpResponse.BodyHandlers.ofString());

        assertThat(over.statusCode()).isEqualTo(429);
        assertThat(over.headers().firstValue("retry-after")).hasValue("1");
        var status = JSON.readTree(over.body());
        assertThat(status.path("reason").asString()).isEqualTo("TooManyRequests");
        assertThat(status.path("message").asString()).contains("job " + (100 + 'a'), "5 requests in flight");
        assertThat(client.send(request("job-b", "/api/v1/pods").build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                .as("another job of the same runner").isEqualTo(200);

        // three more held by job b fill the runner's (this address's) share of 8: a third job from it waits its turn too
        for (int i = 0; i < 3; i++) held.add(hold("job-b"));
        var runnerFull = client.send(request("job-c", "/api/v1/pods").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(runnerFull.statusCode()).isEqualTo(429);
        assertThat(JSON.readTree(runnerFull.body()).path("message").asString()).contains("this runner (127.0.0.1)", "8 requests");

        release.countDown();
        for (InputStream in : held) in.readAllBytes();
        int code = Eventually.value(Duration.ofSeconds(10), () -> "the share comes back when the requests end",
                () -> client.send(request("job-a", "/api/v1/pods").build(), HttpResponse.BodyHandlers.ofString()).statusCode(), c -> c != 429);
        assertThat(code).as("the share comes back when the requests end").isEqualTo(200);
    }

    @Test
    void aRequestBodyThatStopsIsAnswered408AndItsStreamGoesBack() throws Exception {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", bridge.kas.k8sProxyPort()), 5000);
            s.setSoTimeout(20_000);
            long sent = System.nanoTime(); // measured on purpose: the 408 must come after the configured body timeout, not before
            s.getOutputStream().write(("POST /k8s-proxy/api/v1/pods HTTP/1.1\r\nHost: kas\r\nAuthorization: Bearer ci:" + agentId
                    + ":job-c\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"kind\":").getBytes(StandardCharsets.UTF_8));
            s.getOutputStream().flush();

            String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);
            assertThat(answer).startsWith("HTTP/1.1 408").contains("\"reason\":\"Timeout\"", "request body stopped");
            assertThat(ms).isBetween(BODY_IDLE.toMillis() - 100, BODY_IDLE.toMillis() + 5000);
        }
        Eventually.until(Duration.ofSeconds(10), () -> "the stream went back to the agent's pool", () -> agent.pool().busyStreams() == 0);
    }
}
