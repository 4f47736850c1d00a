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
}
