package dev.kastor.steps.kas;

import dev.kastor.oci.Causes;
import dev.kastor.oci.InvalidInputException;
import dev.kastor.oci.KastorException;
import dev.kastor.steps.tls.CaTrust;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The API port of a self-hosted Kastor KAS (8153), as a CI job calls it (authenticated with the job's
 * {@code CI_JOB_TOKEN}, {@code JOB-TOKEN} header) or a person does (a personal access token), JSON in and out. The
 * token never reaches a message.
 *
 * @param url     KAS's API address, e.g. {@code https://kas.example.com:8153}
 * @param caFile  a private CA trusted besides the system's (null: the system's only)
 * @param caFlag  the option that named {@code caFile}, for messages
 */
public record KasApi(String url, Path caFile, String caFlag) {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** KAS's API address: {@code option} (the command's {@code --kas-api}), else {@code variable} ({@code $KASTOR_KAS_API_URL}). */
    public static String address(String option, String variable) {
        String api = option != null ? option : variable;
        if (api == null) throw new InvalidInputException("no KAS API address: pass --kas-api https://kas.example.com:8153 or set KASTOR_KAS_API_URL");
        return api;
    }

    /** The job's {@code CI_JOB_TOKEN} (given as {@code token}), by which KAS knows the job. */
    public static String jobToken(String token) {
        if (token == null) throw new InvalidInputException("CI_JOB_TOKEN is not set: run this in a GitLab CI job (KAS identifies the job by its token)");
        return token;
    }

    /**
     * How a caller proves itself to KAS's API: a job by its {@code CI_JOB_TOKEN} ({@code JOB-TOKEN} header), a person by
     * a GitLab personal access token ({@code Authorization: Bearer}). The value never reaches a message.
     */
    public record Credential(String header, String value) {
        public static Credential job(String jobToken) {
            return new Credential("JOB-TOKEN", jobToken);
        }

        public static Credential person(String personalAccessToken) {
            return new Credential("Authorization", "Bearer " + personalAccessToken);
        }

        @Override
        public String toString() {
            return "Credential[" + header + "]";
        }
    }

    /** {@code GET path} as a job: the answer's JSON when it is 200, else a failure saying what KAS said. */
    public JsonNode get(String path, String jobToken, String what) throws InterruptedException {
        return get(path, Credential.job(jobToken), what);
    }

    /** {@code GET path} as {@code credential} says: the answer's JSON when it is 200, else a failure saying what KAS said. */
    public JsonNode get(String path, Credential credential, String what) throws InterruptedException {
        return send(request(path, credential).GET(), 200, what);
    }

    /** {@code POST path} with a JSON body: the answer's JSON when it has status {@code expected}. */
    public JsonNode post(String path, String jobToken, Object body, int expected, String what) throws InterruptedException {
        var request = request(path, Credential.job(jobToken)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        return send(request, expected, what);
    }

    private HttpRequest.Builder request(String path, Credential credential) {
        return HttpRequest.newBuilder(uri(path)).header(credential.header(), credential.value()).timeout(Duration.ofSeconds(30));
    }

    private URI uri(String path) {
        return URI.create(url.replaceAll("/+$", "") + path);
    }

    private JsonNode send(HttpRequest.Builder request, int expected, String what) throws InterruptedException {
        HttpRequest r = request.build();
        HttpResponse<String> answer;
        try {
            var client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10));
            // KAS's API port over HTTPS is usually signed by the same private CA as its k8s proxy.
            if (caFile != null) client.sslContext(CaTrust.context(caFile, caFlag));
            try (HttpClient c = client.build()) {
                answer = c.send(r, HttpResponse.BodyHandlers.ofString());
            }
        } catch (IOException e) {
            throw new KastorException("cannot reach KAS at " + r.uri() + ": " + Causes.describe(e) + " (check --kas-api / KASTOR_KAS_API_URL)", e);
        }
        if (answer.statusCode() != expected) {
            throw new KastorException("KAS " + r.uri() + " refused to " + what + " (" + answer.statusCode() + "): " + message(answer.body()));
        }
        return answer.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(answer.body());
    }

    /** KAS's JSON {@code message}, or the body as it is when it is not JSON. */
    private static String message(String body) {
        try {
            return JSON.readTree(body).path("message").asString(body);
        } catch (RuntimeException e) {
            return body;
        }
    }
}
