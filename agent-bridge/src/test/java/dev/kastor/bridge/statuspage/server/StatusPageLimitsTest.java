package dev.kastor.bridge.statuspage.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.Bridge;
import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.bridge.statuspage.StatusPageDefaults;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The status page is off unless configured, and a host guessing the operator token is slowed down. */
class StatusPageLimitsTest {
    static final String OPERATOR_TOKEN = "operator-token-0123456789abcdef0123456789";
    static final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @TempDir
    Path dir;

    static HttpResponse<String> signIn(Bridge bridge, String token) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(bridge.apiUrl() + StatusPageDefaults.SIGN_IN_PATH))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("token=" + token)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void kasWithoutAStatusPageSectionServesNoSignIn() throws Exception {
        try (var bridge = Bridge.setup(dir).start()) {
            assertThat(signIn(bridge, OPERATOR_TOKEN).statusCode()).isEqualTo(404);
            assertThat(client.send(HttpRequest.newBuilder(URI.create(bridge.apiUrl() + StatusPageDefaults.AGENTS_PATH)).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);
        }
    }

    @Test
    void hostThatKeepsGuessingIsRefusedForAWhileEvenWithTheRightToken() throws Exception {
        Path token = Files.writeString(dir.resolve("operator-token"), OPERATOR_TOKEN);
        try (var bridge = Bridge.setup(Files.createDirectories(dir.resolve("kas"))).statusPage(new KasConfig.StatusPage(token.toString(), "30m")).start()) {
            for (int i = 0; i < StatusPageDefaults.MAX_FAILED_SIGN_INS; i++) {
                assertThat(signIn(bridge, "guess-" + i).statusCode()).isEqualTo(401);
            }

            var refused = signIn(bridge, OPERATOR_TOKEN);

            assertThat(refused.statusCode()).isEqualTo(429);
            assertThat(refused.headers().firstValue("Retry-After")).hasValue("60");
            assertThat(refused.headers().firstValue("Set-Cookie")).isEmpty();
            assertThat(refused.body()).doesNotContain(OPERATOR_TOKEN);
        }
    }

    @Test
    void sessionLastsWhatTheConfigSays() throws Exception {
        Path token = Files.writeString(dir.resolve("operator-token"), OPERATOR_TOKEN);
        try (var bridge = Bridge.setup(Files.createDirectories(dir.resolve("kas"))).statusPage(new KasConfig.StatusPage(token.toString(), "30m")).start()) {
            var in = signIn(bridge, OPERATOR_TOKEN);

            assertThat(in.statusCode()).isEqualTo(303);
            assertThat(in.headers().firstValue("Set-Cookie").orElseThrow()).contains("; Max-Age=1800;");
        }
    }

    @Test
    void aSlowAgentDelaysOnlyItsOwnRowNeverThePage() throws Exception {
        var slow = new java.util.concurrent.CountDownLatch(1);
        Path token = Files.writeString(dir.resolve("operator-token"), OPERATOR_TOKEN);
        try (var bridge = Bridge.setup(Files.createDirectories(dir.resolve("kas"))).statusPage(new KasConfig.StatusPage(token.toString(), null)).start();
             var api = new dev.kastor.bridge.Upstream().handle("/apis/", ex -> {
                 try {
                     slow.await(30, java.util.concurrent.TimeUnit.SECONDS); // an API server that answers only when the test lets it
                 } catch (InterruptedException e) {
                     Thread.currentThread().interrupt();
                 }
                 dev.kastor.bridge.Upstream.send(ex, 200, "application/json", "{\"items\":[]}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
             }).handle("/api/v1/configmaps", ex -> dev.kastor.bridge.Upstream.send(ex, 200, "application/json",
                     "{\"items\":[]}".getBytes(java.nio.charset.StandardCharsets.UTF_8)))) {
            var registered = bridge.register("platform/agents", "slow");
            long id = registered.agent().id();
            try (var agent = bridge.startAgent(registered.token(), api.url())) {
                bridge.awaitConnected(id);
                var session = StatusPageClient.signIn(bridge.apiUrl(), OPERATOR_TOKEN);
                var rows = HttpRequest.newBuilder(URI.create(bridge.apiUrl() + StatusPageDefaults.ROWS_PATH)).header("Cookie", session.cookie()).build();

                long start = System.nanoTime();
                var first = client.send(rows, HttpResponse.BodyHandlers.ofString());
                long tookMillis = (System.nanoTime() - start) / 1_000_000;

                assertThat(first.statusCode()).isEqualTo(200);
                assertThat(first.body()).contains("reading its cluster");
                assertThat(tookMillis).as("the rows came after the page's wait, not the agent's read").isLessThan(5_000);
                slow.countDown();
                dev.kastor.testing.Eventually.until(java.time.Duration.ofSeconds(30), () -> "the agent's row once its read ends",
                        () -> client.send(rows, HttpResponse.BodyHandlers.ofString()).body().contains("no Flux objects"));
            }
        } finally {
            slow.countDown();
        }
    }

    @Test
    void aListTheAgentMayNotReadOrThatIsNotJsonLeavesTheOthersShown() throws Exception {
        Path token = Files.writeString(dir.resolve("operator-token"), OPERATOR_TOKEN);
        byte[] empty = "{\"items\":[]}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try (var bridge = Bridge.setup(Files.createDirectories(dir.resolve("kas"))).statusPage(new KasConfig.StatusPage(token.toString(), null)).start();
             var api = new dev.kastor.bridge.Upstream()
                     .handle("/apis/source.toolkit.fluxcd.io/v1/ocirepositories", ex -> dev.kastor.bridge.Upstream.send(ex, 403, "application/json",
                             "{\"kind\":\"Status\",\"code\":403}".getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                     .handle("/apis/kustomize.toolkit.fluxcd.io/v1/kustomizations", ex -> dev.kastor.bridge.Upstream.send(ex, 200, "text/html",
                             "<html>a proxy's page</html>".getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                     .handle("/apis/", ex -> dev.kastor.bridge.Upstream.send(ex, 200, "application/json", empty))
                     .handle("/api/v1/configmaps", ex -> dev.kastor.bridge.Upstream.send(ex, 200, "application/json",
                             FluxApiServer.INVENTORIES.getBytes(java.nio.charset.StandardCharsets.UTF_8)))) {
            var registered = bridge.register("platform/agents", "partial");
            long id = registered.agent().id();
            try (var agent = bridge.startAgent(registered.token(), api.url())) {
                bridge.awaitConnected(id);
                var session = StatusPageClient.signIn(bridge.apiUrl(), OPERATOR_TOKEN);

                var seen = dev.kastor.testing.Eventually.value(java.time.Duration.ofSeconds(30), () -> "the agent's cluster read",
                        () -> session.agent(id), n -> n.path("cluster").has("read") && !n.path("cluster").path("read").isNull());

                assertThat(seen.path("cluster").path("problem").asString()).contains("answered 403", "may not list OCIRepository objects",
                        "kustomizations with something that is not JSON");
                assertThat(seen.path("deployments").size()).as("the inventories, read after the refused lists").isEqualTo(2);
            }
        }
    }
}
