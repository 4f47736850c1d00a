package dev.kastor.bridge.kubeapi.server;

import dev.kastor.bridge.agents.Hashes;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * One GitLab job API call made with a job token ({@code GET /api/v4/job} or {@code /api/v4/job/allowed_agents},
 * header {@code JOB-TOKEN}), cached per token like GitLab's KAS does: answers 1 min, failures 10 s, keyed by a hash
 * so the cache holds no tokens. Failures are Status-shaped; job tokens never appear in messages.
 */
public final class GitLabJobApi {
    public static final Duration CACHE_OK = Duration.ofMinutes(1);
    public static final Duration CACHE_ERROR = Duration.ofSeconds(10);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private record Entry(long expires, JsonNode answer, ProxyFailure failure) {}

    /** Job tokens whose answers are kept at most (running jobs of a large instance in one minute, with room). */
    static final int MAX_ENTRIES = 20_000;

    private final URI gitlabUrl;
    private final String path;
    private final HttpClient http;
    private final Map<String, Entry> cache = new ConcurrentHashMap<>();

    /** {@code path} like {@code /api/v4/job}; it is resolved against {@code gitlabUrl} keeping a relative URL root. */
    public GitLabJobApi(URI gitlabUrl, String path, HttpClient http) {
        this.gitlabUrl = gitlabUrl;
        this.path = path;
        this.http = http;
    }

    /** A client for GitLab's job API: a GitLab that does not answer the connection within 10 s is unreachable. */
    public static HttpClient newHttpClient() {
        return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    public URI gitlabUrl() {
        return gitlabUrl;
    }

    public JsonNode get(String jobToken) throws ProxyFailure, InterruptedException {
        String key = Hashes.sha256(jobToken);
        JsonNode known = cached(key);
        if (known != null) return known;
        try {
            JsonNode answer = fetch(jobToken);
            remember(key, new Entry(System.nanoTime() + CACHE_OK.toNanos(), answer, null));
            return answer;
        } catch (ProxyFailure f) {
            remember(key, new Entry(System.nanoTime() + CACHE_ERROR.toNanos(), null, f));
            throw f;
        }
    }

    /** The answer this KAS still holds for the job token, without asking GitLab; null when it holds none. */
    public JsonNode cachedAnswer(String jobToken) throws ProxyFailure {
        return cached(Hashes.sha256(jobToken));
    }

    private JsonNode cached(String key) throws ProxyFailure {
        Entry e = cache.get(key);
        if (e == null || e.expires() <= System.nanoTime()) return null;
        if (e.failure() != null) throw e.failure();
        return e.answer();
    }

    /**
     * Every job token ever seen would stay otherwise (and anyone can present made-up ones): expired answers go
     * when the cache grows, and past {@link #MAX_ENTRIES} the oldest ones too.
     */
    private void remember(String key, Entry entry) {
        if (cache.size() >= MAX_ENTRIES / 2) {
            long now = System.nanoTime();
            cache.values().removeIf(e -> e.expires() <= now);
            if (cache.size() >= MAX_ENTRIES) {
                cache.entrySet().stream().sorted(Comparator.comparingLong(x -> x.getValue().expires()))
                        .limit(cache.size() - MAX_ENTRIES / 2).map(Map.Entry::getKey).toList().forEach(cache::remove);
            }
        }
        cache.put(key, entry);
    }

    private JsonNode fetch(String jobToken) throws ProxyFailure, InterruptedException {
        URI uri = URI.create(gitlabUrl.toString().replaceAll("/+$", "") + path);
        HttpResponse<byte[]> r;
        try {
            r = http.send(HttpRequest.newBuilder(uri).header("JOB-TOKEN", jobToken).timeout(Duration.ofSeconds(10)).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException ex) {
            throw new ProxyFailure(K8sStatus.unavailable("cannot ask GitLab " + gitlabUrl + " about the job (" + path + "): " + ex));
        }
        if (r.statusCode() == 401 || r.statusCode() == 403 || r.statusCode() == 404) {
            throw new ProxyFailure(K8sStatus.unauthorized("GitLab does not accept the job token (" + r.statusCode()
                    + "): the job is not running or the token is wrong"));
        }
        if (r.statusCode() != 200) {
            throw new ProxyFailure(K8sStatus.unavailable("GitLab " + gitlabUrl + " answered " + r.statusCode() + " to " + path));
        }
        try {
            return JSON.readTree(r.body());
        } catch (RuntimeException ex) {
            throw new ProxyFailure(K8sStatus.unavailable("GitLab " + gitlabUrl + " answered " + path + " with something that is not JSON"));
        }
    }
}
