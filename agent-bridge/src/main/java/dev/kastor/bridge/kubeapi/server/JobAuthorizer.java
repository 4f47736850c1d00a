package dev.kastor.bridge.kubeapi.server;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Decides whether a CI job may use an agent, the way GitLab's KAS does: the {@code ci:<agentId>:<jobToken>}
 * bearer token names both, GitLab's {@code GET /api/v4/job/allowed_agents} (with {@code JOB-TOKEN}) lists the
 * agents the job may use. Answers are cached per job token (1 min; failures 10 s), keyed by a hash so the cache
 * holds no tokens. Job tokens never appear in messages.
 */
public final class JobAuthorizer {
    public static final Duration CACHE_OK = Duration.ofMinutes(1);
    public static final Duration CACHE_ERROR = Duration.ofSeconds(10);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private record Entry(long expires, JsonNode allowed, ProxyFailure failure) {}

    private final URI gitlabUrl;
    private final HttpClient http;
    private final Map<String, Entry> cache = new ConcurrentHashMap<>();

    public JobAuthorizer(URI gitlabUrl, HttpClient http) {
        this.gitlabUrl = gitlabUrl;
        this.http = http;
    }

    public AuthorizedRequest authorize(String authorization) throws ProxyFailure, InterruptedException {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw new ProxyFailure(K8sStatus.unauthorized("missing 'Authorization: Bearer ci:<agent id>:<job token>' (use the KUBECONFIG of the job)"));
        }
        String[] parts = authorization.substring(7).trim().split(":", 3);
        if (parts.length != 3 || !parts[0].equals("ci") || parts[2].isEmpty()) {
            throw new ProxyFailure(K8sStatus.unauthorized("bearer token is not of the form ci:<agent id>:<job token>"));
        }
        long agentId;
        try {
            agentId = Long.parseLong(parts[1]);
        } catch (NumberFormatException e) {
            throw new ProxyFailure(K8sStatus.unauthorized("agent id in the bearer token is not a number"));
        }
        JsonNode allowed = allowedAgents(parts[2]);
        for (JsonNode a : allowed.path("allowed_agents")) {
            if (a.path("id").asLong() == agentId) {
                JsonNode config = a.path("configuration");
                var imp = AccessAs.of(config.path("access_as"), agentId, a.path("config_project").path("id").asLong(), allowed);
                boolean impersonates = !imp.getUsername().isEmpty();
                return new AuthorizedRequest(agentId, allowed.path("job").path("id").asLong(),
                        allowed.path("project").path("id").asLong(), imp, impersonates);
            }
        }
        throw new ProxyFailure(K8sStatus.forbidden("this job's project is not allowed to use agent " + agentId
                + " (add it to ci_access in the agent's config.yaml)"));
    }

    /** GitLab's {@code allowed_agents} answer for the job (cached); failures are Status-shaped. */
    public JsonNode allowedAgents(String jobToken) throws ProxyFailure, InterruptedException {
        String key = dev.kastor.bridge.agents.Hashes.sha256(jobToken);
        Entry e = cache.get(key);
        if (e != null && e.expires() > System.nanoTime()) {
            if (e.failure() != null) throw e.failure();
            return e.allowed();
        }
        try {
            JsonNode allowed = fetch(jobToken);
            cache.put(key, new Entry(System.nanoTime() + CACHE_OK.toNanos(), allowed, null));
            return allowed;
        } catch (ProxyFailure f) {
            cache.put(key, new Entry(System.nanoTime() + CACHE_ERROR.toNanos(), null, f));
            throw f;
        }
    }

    private JsonNode fetch(String jobToken) throws ProxyFailure, InterruptedException {
        URI uri = gitlabUrl.resolve("/api/v4/job/allowed_agents");
        HttpResponse<byte[]> r;
        try {
            r = http.send(HttpRequest.newBuilder(uri).header("JOB-TOKEN", jobToken).timeout(Duration.ofSeconds(10)).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException ex) {
            throw new ProxyFailure(K8sStatus.unavailable("cannot ask GitLab " + gitlabUrl + " which agents the job may use: " + ex));
        }
        if (r.statusCode() == 401 || r.statusCode() == 403 || r.statusCode() == 404) {
            throw new ProxyFailure(K8sStatus.unauthorized("GitLab does not accept the job token (" + r.statusCode()
                    + "): the job is not running or the token is wrong"));
        }
        if (r.statusCode() != 200) {
            throw new ProxyFailure(K8sStatus.unavailable("GitLab " + gitlabUrl + " answered " + r.statusCode() + " to allowed_agents"));
        }
        return JSON.readTree(r.body());
    }
}
