package dev.kastor.bridge.kubeapi.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.Bridge;
import dev.kastor.bridge.agentapp.Agent;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.bridge.registration.agent.RegistrationSettings;
import dev.kastor.bridge.tunnel.agent.PoolSettings;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * An API server that accepts a request and never answers does not hold the job for ever: after the response-head
 * bound (70 s by default, 500 ms here) the client gets a 504 Status, and the agent closes that connection rather than
 * pool it (a late answer would be read as the next request's). Real KAS, agent and JDK HttpClient; the API server is
 * a raw socket server that answers the agent's {@code /version} and nothing else.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SilentApiServerTimedOutTest {
    static final Duration BOUND = Duration.ofMillis(500);
    @TempDir
    static Path dir;
    static Bridge bridge;
    static Agent agent;
    static long agentId;
    static ServerSocket silent;
    /** The connections that carried a request other than {@code /version}, as the API server accepted them. */
    static final List<Socket> unanswered = new CopyOnWriteArrayList<>();
    static final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static final JsonMapper JSON = JsonMapper.builder().build();

    @BeforeAll
    static void start() throws Exception {
        silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            while (!silent.isClosed()) {
                try {
                    Socket s = silent.accept();
                    Thread.ofVirtual().start(() -> serve(s));
                } catch (IOException e) {
                    return;
                }
            }
        });
        bridge = new Bridge(dir);
        var reg = bridge.register("group/project", "prod");
        agentId = reg.agent().id();
        bridge.job("job-token", 1, 77, "group/app", agentId);
        var upstream = new KubeApiUpstream(URI.create("http://127.0.0.1:" + silent.getLocalPort()), null, () -> "agent-sa-token", BOUND);
        agent = Agent.start(bridge.grpcUrl(), null, () -> reg.token(), upstream,
                PoolSettings.defaults().withBackoff(Duration.ofMillis(200), Duration.ofSeconds(2)), "test", RegistrationSettings.defaults(), JsonLog.quiet());
        bridge.awaitConnected(agentId);
    }

    /** Answers {@code GET /version}; reads any other request's head and then stays silent. */
    static void serve(Socket s) {
        try {
            var in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
            String line = in.readLine();
            for (String h = in.readLine(); h != null && !h.isEmpty(); h = in.readLine()) {
                // the rest of the head
            }
            if (line != null && line.startsWith("GET /version ")) {
                byte[] body = "{\"gitVersion\":\"v1.32.0\"}".getBytes(StandardCharsets.UTF_8);
                s.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + body.length
                        + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                s.getOutputStream().write(body);
                s.close();
                return;
            }
            unanswered.add(s);
        } catch (IOException e) {
            // the agent closed it
        }
    }

    @AfterAll
    static void stop() throws IOException {
        if (agent != null) agent.close();
        if (bridge != null) bridge.close();
        if (silent != null) silent.close();
        for (Socket s : unanswered) s.close();
    }

    static HttpResponse<String> get() throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(bridge.proxyUrl() + "/api/v1/namespaces/default/pods"))
                .header("Authorization", "Bearer ci:" + agentId + ":job-token").timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void silentApiServerGets504StatusAfterTheBoundAndItsConnectionIsClosedNotReused() throws Exception {
        long t0 = System.nanoTime(); // measured on purpose: the 504 must come after the configured bound, and well before a hang
        var first = get();
        long tookMillis = Duration.ofNanos(System.nanoTime() - t0).toMillis();

        assertThat(first.statusCode()).isEqualTo(504);
        JsonNode status = JSON.readTree(first.body());
        assertThat(status.path("kind").asString()).isEqualTo("Status");
        assertThat(status.path("code").asInt()).isEqualTo(504);
        assertThat(status.path("message").asString()).contains("sent no answer within");
        assertThat(tookMillis).isBetween(BOUND.toMillis(), 5_000L);
        assertThat(unanswered).hasSize(1);
        unanswered.getFirst().setSoTimeout(5_000);
        assertThat(unanswered.getFirst().getInputStream().read()).as("the agent closed the connection").isEqualTo(-1);

        assertThat(get().statusCode()).isEqualTo(504);
        assertThat(unanswered).as("the second request went on a new connection").hasSize(2);
    }
}
