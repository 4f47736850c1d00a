package dev.kastor.bridge.kubeapi.server;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * One {@code GET} of GitLab's REST API with a token in a header, as the k8s proxy makes them: a GitLab that cannot be
 * reached, answers late (10 s) or answers something else than JSON is a 503 Status naming GitLab and the path, never
 * the token.
 */
public final class GitLabGet {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private GitLabGet() {}

    /** {@code path} (with its query) is resolved against {@code gitlabUrl} keeping a relative URL root; {@code about} says why, for errors. */
    public static HttpResponse<byte[]> send(HttpClient http, URI gitlabUrl, String path, String header, String token, String about)
            throws ProxyFailure, InterruptedException {
        URI uri = URI.create(gitlabUrl.toString().replaceAll("/+$", "") + path);
        try {
            return http.send(HttpRequest.newBuilder(uri).header(header, token).timeout(Duration.ofSeconds(10)).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException ex) {
            throw new ProxyFailure(K8sStatus.unavailable("cannot ask GitLab " + gitlabUrl + " " + about + " (" + pathOnly(path) + "): " + ex));
        }
    }

    /** A 200's body as JSON; any other status is GitLab failing (503). */
    public static JsonNode json(HttpResponse<byte[]> r, URI gitlabUrl, String path) throws ProxyFailure {
        if (r.statusCode() != 200) {
            throw new ProxyFailure(K8sStatus.unavailable("GitLab " + gitlabUrl + " answered " + r.statusCode() + " to " + pathOnly(path)));
        }
        try {
            return JSON.readTree(r.body());
        } catch (RuntimeException ex) {
            throw new ProxyFailure(K8sStatus.unavailable("GitLab " + gitlabUrl + " answered " + pathOnly(path) + " with something that is not JSON"));
        }
    }

    private static String pathOnly(String path) {
        int q = path.indexOf('?');
        return q < 0 ? path : path.substring(0, q);
    }
}
