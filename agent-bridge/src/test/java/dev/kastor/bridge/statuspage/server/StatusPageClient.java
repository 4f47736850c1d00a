package dev.kastor.bridge.statuspage.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.statuspage.StatusPageDefaults;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A script's session on a KAS's status page: signs in with a token and reads {@code /api/v1/status/agents}. */
final class StatusPageClient {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private final URI api;
    private final String cookie;

    private StatusPageClient(URI api, String cookie) {
        this.api = api;
        this.cookie = cookie;
    }

    /** Signed in at {@code api} (KAS's API URL) with {@code token}; fails the test when the sign-in is refused. */
    static StatusPageClient signIn(URI api, String token) throws IOException, InterruptedException {
        var in = HTTP.send(HttpRequest.newBuilder(URI.create(api + StatusPageDefaults.SIGN_IN_PATH))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("token=" + token)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(in.statusCode()).as(in.body()).isEqualTo(303);
        String set = in.headers().firstValue("Set-Cookie").orElseThrow();
        return new StatusPageClient(api, set.substring(0, set.indexOf(';')));
    }

    /** The {@code Cookie} header of this session. */
    String cookie() {
        return cookie;
    }

    /** The agents this session may see, as {@code /api/v1/status/agents} says them. */
    JsonNode agents() throws IOException, InterruptedException {
        var r = HTTP.send(HttpRequest.newBuilder(URI.create(api + StatusPageDefaults.AGENTS_PATH)).header("Cookie", cookie).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body()).path("agents");
    }

    /** One agent of {@link #agents()}; fails the test when it is not there. */
    JsonNode agent(long id) throws IOException, InterruptedException {
        JsonNode agents = agents();
        for (JsonNode a : agents) {
            if (a.path("id").asLong() == id) return a;
        }
        throw new AssertionError("agent " + id + " is not in " + agents);
    }
}
