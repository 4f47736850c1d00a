package dev.kastor.bridge.flux.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.kastor.bridge.kubeapi.agent.KubeApiUpstream;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.testing.Eventually;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** How the agent calls a Receiver's webhook: the path Flux expects, tries again on failure, and says so without the path. */
class HookCallerTest {
    private static final FluxAgentTuning QUICK = new FluxAgentTuning(Duration.ofSeconds(2), 3, Duration.ofMillis(50), 2, 10, Duration.ofMinutes(5));
    private final ByteArrayOutputStream logs = new ByteArrayOutputStream();
    private final JsonLog log = new JsonLog(new PrintStream(logs, true, StandardCharsets.UTF_8), "agent");
    private final List<String> calls = new CopyOnWriteArrayList<>();
    private final AtomicInteger failFirst = new AtomicInteger();
    private HttpServer receiver;

    @BeforeEach
    void start() throws Exception {
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/", exchange -> {
            calls.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath());
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(failFirst.getAndDecrement() > 0 ? 503 : 200, -1);
            exchange.close();
        });
        receiver.start();
    }

    @AfterEach
    void stop() {
        receiver.stop(0);
    }

    private String receiverUrl() {
        return "http://127.0.0.1:" + receiver.getAddress().getPort() + "/";
    }

    private static ReceiverKeeper.Kept kept() {
        var source = new FluxSource(FluxSource.Kind.OCI_REPOSITORY, "apps", "app", "uid-1", "oci://registry.example.com/app", null, null, null);
        return new ReceiverKeeper.Kept(source, "kastor-oci-app", ReceiverKeeper.hookPath("t0ken", "kastor-oci-app", "apps"));
    }

    @Test
    void aFailingReceiverIsCalledAgainUntilItAnswers() throws Exception {
        failFirst.set(2);
        try (var hooks = new HookCaller(new KubeApiUpstream(URI.create("http://127.0.0.1:1"), null, () -> "sa"), this::receiverUrl, QUICK, log)) {
            hooks.call(kept(), "oci registry.example.com/app:v1@sha256:aa");
            Eventually.until(Duration.ofSeconds(10), () -> "a successful call logged: " + logs, () -> logs.toString().contains("called Flux receiver"));
        }
        String path = ReceiverKeeper.hookPath("t0ken", "kastor-oci-app", "apps");
        assertThat(calls).containsExactly("POST " + path, "POST " + path, "POST " + path);
        assertThat(logs.toString()).contains("\"attempt\":3").doesNotContain(path);
    }

    @Test
    void aReceiverThatNeverAnswersIsLoggedWithItsNameButNotItsSecretPath() throws Exception {
        failFirst.set(100);
        try (var hooks = new HookCaller(new KubeApiUpstream(URI.create("http://127.0.0.1:1"), null, () -> "sa"), this::receiverUrl, QUICK, log)) {
            hooks.call(kept(), "oci registry.example.com/app:v1@sha256:aa");
            Eventually.until(Duration.ofSeconds(10), () -> "the failure logged: " + logs, () -> logs.toString().contains("Flux receiver call failed"));
        }
        assertThat(calls).hasSize(3);
        assertThat(logs.toString()).contains("apps/kastor-oci-app").contains("HTTP 503")
                .doesNotContain(ReceiverKeeper.hookPath("t0ken", "kastor-oci-app", "apps"));
    }

    /** Flux's rule: sha256 over token, name and namespace written together, lower-case hex (vector from sha256sum). */
    @Test
    void theHookPathIsFluxs() {
        assertThat(ReceiverKeeper.hookPath("token", "name", "ns")).isEqualTo("/hook/9f3f1bb97bc2396f3fa58dc72a9c08a57c02e524af1250535429cdb90db6028e");
    }
}
