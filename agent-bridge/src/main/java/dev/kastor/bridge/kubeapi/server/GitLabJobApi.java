package dev.kastor.bridge.kubeapi.server;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import tools.jackson.databind.JsonNode;

/**
 * One GitLab job API call made with a job token ({@code GET /api/v4/job} or {@code /api/v4/job/allowed_agents},
 * header {@code JOB-TOKEN}), cached per token like GitLab's KAS does ({@link AnswerCache}). Failures are Status-shaped;
 * job tokens never appear in messages.
 */
public final class GitLabJobApi {
    /** Job tokens whose answers are kept at most (running jobs of a large instance in one minute, with room). */
    static final int MAX_ENTRIES = 20_000;

    private final URI gitlabUrl;
    private final String path;
    private final HttpClient http;
    private final AnswerCache<JsonNode> cache = new AnswerCache<>(MAX_ENTRIES);

    /** {@code path} like {@code /api/v4/job}; it is resolved against {@code gitlabUrl} keeping a relative URL root. */
    public GitLabJobApi(URI gitlabUrl, String path, HttpClient http) {
        this.gitlabUrl = gitlabUrl;
        this.path = path;
        this.http = http;
    }

    /** A client for GitLab's API: a GitLab that does not answer the connection within 10 s is unreachable. */
    public static HttpClient newHttpClient() {
        return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    public URI gitlabUrl() {
        return gitlabUrl;
    }

    public JsonNode get(String jobToken) throws ProxyFailure, InterruptedException {
        return cache.get(jobToken, () -> fetch(jobToken));
    }

    /** The answer this KAS still holds for the job token, without asking GitLab; null when it holds none. */
    public JsonNode cachedAnswer(String jobToken) throws ProxyFailure {
        return cache.cachedAnswer(jobToken);
    }

    private JsonNode fetch(String jobToken) throws ProxyFailure, InterruptedException {
        var r = GitLabGet.send(http, gitlabUrl, path, "JOB-TOKEN", jobToken, "about the job");
        if (r.statusCode() == 401 || r.statusCode() == 403 || r.statusCode() == 404) {
            throw new ProxyFailure(K8sStatus.unauthorized("GitLab does not accept the job token (" + r.statusCode()
                    + "): the job is not running or the token is wrong"));
        }
        return GitLabGet.json(r, gitlabUrl, path);
    }
}
