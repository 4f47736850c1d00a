package dev.kastor.bridge.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.Bridge;
import dev.kastor.bridge.GitHttpServer;
import dev.kastor.bridge.agentapp.Agent;
import dev.kastor.bridge.config.agent.ConfigAgentModule;
import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.testing.Eventually;
import dev.kastor.testing.Programs;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A GitLab push webhook makes KAS read the config project at once; the poll period here (1 h) would never get there. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ConfigWebhookTest {
    static final String PROJECT = "platform/agents";
    static final String SECRET = "webhook-secret-42";
    static final HttpClient client = HttpClient.newHttpClient();

    @TempDir
    static Path dir;
    static GitHttpServer git;
    static Bridge bridge;
    static Agent agent;

    @BeforeAll
    static void start() throws Exception {
        git = GitHttpServer.start(Files.createDirectories(dir.resolve("git")));
        git.createRepo(PROJECT);
        git.commit(PROJECT, ".gitlab/agents/prod/config.yaml", "default_namespace: one\n");
        Path secret = dir.resolve("webhook-secret");
        Files.writeString(secret, SECRET + "\n");
        bridge = new Bridge(Files.createDirectories(dir.resolve("kas")), null,
                new KasConfig.AgentConfiguration(git.urlTemplate(), null, null, "1h", null, null, secret.toString()), null);
        var reg = bridge.register(PROJECT, "prod");
        agent = bridge.startAgent(reg.token(), URI.create("http://127.0.0.1:1"));
        await(() -> namespace().equals(Optional.of("one")));
    }

    @AfterAll
    static void stop() {
        Programs.closeAll(agent, bridge, git);
    }

    static Optional<String> namespace() {
        return agent.module(ConfigAgentModule.class).current().map(a -> a.config().defaultNamespace());
    }

    static void await(java.util.function.BooleanSupplier c) throws InterruptedException {
        Eventually.until(Duration.ofSeconds(30), () -> "the agent's configuration changed:\n" + bridge.logText(), c::getAsBoolean);
    }

    static HttpResponse<String> hook(String token, String event, String project) throws Exception {
        var b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + bridge.kas.apiPort() + "/api/v1/config/webhook"))
                .header("X-Gitlab-Event", event).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"object_kind\":\"push\",\"project\":{\"path_with_namespace\":\"" + project + "\"}}"));
        if (token != null) b.header("X-Gitlab-Token", token);
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void pushWebhookRefreshesTheAgentAtOnce() throws Exception {
        git.commit(PROJECT, ".gitlab/agents/prod/config.yaml", "default_namespace: two\n");

        var r = hook(SECRET, "Push Hook", PROJECT);

        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        await(() -> namespace().equals(Optional.of("two")));
    }

    @Test
    void webhookWithWrongTokenIsRefusedAndRefreshesNothing() throws Exception {
        String before = namespace().orElseThrow();
        git.commit(PROJECT, ".gitlab/agents/prod/config.yaml", "default_namespace: refused-" + System.nanoTime() + "\n");

        assertThat(hook("wrong", "Push Hook", PROJECT).statusCode()).isEqualTo(401);
        assertThat(hook(null, "Push Hook", PROJECT).statusCode()).isEqualTo(401);
        assertThat(hook(SECRET, "Issue Hook", PROJECT).statusCode()).isEqualTo(400);
        assertThat(hook(SECRET, "Push Hook", "someone/else").statusCode()).isEqualTo(404);
        // An absence can only be shown over a span, and no refusal leaves a trace to wait on instead: a refresh would
        // land well within this one (pushWebhookRefreshesTheAgentAtOnce shows it).
        Thread.sleep(2000);
        assertThat(namespace()).contains(before);
        assertThat(bridge.logText()).doesNotContain(SECRET);
    }
}
