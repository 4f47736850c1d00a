package dev.kastor.bridge.statuspage.server;

import dev.kastor.bridge.kubeapi.server.GitLabGet;
import dev.kastor.bridge.kubeapi.server.ProxyFailure;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/**
 * The external jobs of a commit: the commit statuses the pipeline steps posted ({@code kastor status set},
 * {@code kastor flux wait --report}), which GitLab lists with stage {@code external}
 * ({@code GET /projects/:id/repository/commits/:sha/statuses}), asked with KAS's own token
 * ({@code gitlab.api_token_file}, scope read_api).
 *
 * <p>The page never waits for GitLab: {@link #known} gives what was read last (nothing the first time) and starts a
 * read in the background when that is older than {@link #FRESH}, one per commit at a time and {@link #CONCURRENT} at
 * most, so a page of many agents costs GitLab a few calls every half minute, not one per agent per refresh.
 */
final class CommitStatuses implements AutoCloseable {
    static final Duration FRESH = Duration.ofSeconds(30);
    static final int CONCURRENT = 4;
    /** Commits remembered at most; beyond it the oldest reads are dropped. */
    static final int MAX_COMMITS = 2_000;
    /** A commit nobody has asked about for this long is forgotten (one asked about is read again every {@link #FRESH}). */
    static final Duration FORGET = Duration.ofMinutes(10);
    /**
     * A commit's newest external jobs kept: anyone who may post statuses decides how many a commit has, and GitLab
     * bounds each one's name, description and link, so this bounds the memory a commit takes.
     */
    static final int JOBS_PER_COMMIT = 50;

    /** A project (full path) and a commit (40 hex digits) in it. */
    record Commit(String project, String sha) {
        private static final Pattern PROJECT = Pattern.compile("[A-Za-z0-9_.][A-Za-z0-9_.-]*(/[A-Za-z0-9_.][A-Za-z0-9_.-]*)+");
        private static final Pattern SHA = Pattern.compile("(?:^|@)sha1:([0-9a-f]{40})$");

        /**
         * The commit behind a URL of GitLab (a project's, its {@code .git} clone URL, or one of its pages such as a
         * job's, {@code …/-/jobs/41}) and a revision as Flux and Kastor write it ({@code main@sha1:<40 hex>}); empty when
         * either is not of that form. The URL's host is not compared with KAS's GitLab: KAS may reach GitLab by
         * another name than the one in the URL; the project is looked up in KAS's GitLab by its path.
         */
        static Optional<Commit> of(String url, String revision) {
            if (url == null || revision == null) return Optional.empty();
            var sha = SHA.matcher(revision);
            if (!sha.find()) return Optional.empty();
            String path;
            try {
                path = URI.create(url).getPath();
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
            if (path == null) return Optional.empty();
            int pages = path.indexOf("/-/");
            if (pages >= 0) path = path.substring(0, pages);
            path = path.replaceAll("^/+|/+$", "");
            if (path.endsWith(".git")) path = path.substring(0, path.length() - 4);
            return PROJECT.matcher(path).matches() ? Optional.of(new Commit(path, sha.group(1))) : Optional.empty();
        }
    }

    /** What was read of a commit's external jobs, newest first, or why it could not be. */
    record Known(Instant read, List<AgentView.ExternalJob> jobs, String problem) {}

    private final URI gitlabUrl;
    private final HttpClient http;
    private final String kasToken;
    private final Clock clock;
    private final Map<Commit, Known> last = new ConcurrentHashMap<>();
    private final Map<Commit, Boolean> reading = new ConcurrentHashMap<>();
    private final Semaphore concurrent = new Semaphore(CONCURRENT);
    private final ExecutorService readers = Executors.newVirtualThreadPerTaskExecutor();

    CommitStatuses(URI gitlabUrl, HttpClient http, String kasToken, Clock clock) {
        this.gitlabUrl = gitlabUrl;
        this.http = http;
        this.kasToken = kasToken;
        this.clock = clock;
    }

    /**
     * The commit behind a URL and a revision ({@link Commit#of}), with the path KAS's GitLab lives under (a relative URL
     * root such as {@code /gitlab}) taken off the project's path.
     */
    Optional<Commit> commit(String url, String revision) {
        return Commit.of(url, revision).map(c -> {
            String root = gitlabUrl.getPath() == null ? "" : gitlabUrl.getPath().replaceAll("^/+|/+$", "");
            return !root.isEmpty() && c.project().startsWith(root + "/") ? new Commit(c.project().substring(root.length() + 1), c.sha()) : c;
        });
    }

    /** The commit's external jobs as last read (null before the first read ends); starts a read when they are stale. */
    Known known(Commit commit) {
        Known k = last.get(commit);
        if ((k == null || !clock.instant().isBefore(k.read().plus(FRESH))) && reading.putIfAbsent(commit, Boolean.TRUE) == null) {
            readers.execute(() -> {
                try {
                    concurrent.acquire();
                    try {
                        remember(commit, read(commit));
                    } finally {
                        concurrent.release();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    reading.remove(commit);
                }
            });
        }
        return k;
    }

    private void remember(Commit commit, Known known) {
        Instant forgotten = clock.instant().minus(FORGET);
        last.values().removeIf(k -> k.read().isBefore(forgotten));
        if (last.size() >= MAX_COMMITS) {
            last.entrySet().stream().sorted(Comparator.comparing(e -> e.getValue().read())).limit(MAX_COMMITS / 10)
                    .map(Map.Entry::getKey).toList().forEach(last::remove);
        }
        last.put(commit, known);
    }

    private Known read(Commit commit) throws InterruptedException {
        String path = "/api/v4/projects/" + URLEncoder.encode(commit.project(), StandardCharsets.UTF_8) + "/repository/commits/" + commit.sha()
                + "/statuses?stage=external&sort=desc&per_page=" + JOBS_PER_COMMIT; // sort: GitLab 17.8+, older ones give oldest first
        try {
            HttpResponse<byte[]> r = GitLabGet.send(http, gitlabUrl, path, "PRIVATE-TOKEN", kasToken, "about " + commit.project() + "'s commit statuses");
            if (r.statusCode() == 404) {
                return new Known(clock.instant(), List.of(), "GitLab knows no commit " + commit.sha().substring(0, 12) + " in " + commit.project()
                        + " (or KAS's gitlab.api_token_file token cannot see the project)");
            }
            if (r.statusCode() == 401 || r.statusCode() == 403) {
                return new Known(clock.instant(), List.of(), "GitLab refuses KAS's own token from gitlab.api_token_file (" + r.statusCode()
                        + "): it must be valid, have scope read_api and see " + commit.project());
            }
            var jobs = new ArrayList<AgentView.ExternalJob>();
            for (JsonNode s : GitLabGet.json(r, gitlabUrl, path)) {
                if (!"external".equals(s.path("stage").asString("external"))) continue; // a GitLab that ignores the filter
                jobs.add(new AgentView.ExternalJob(commit.project(), commit.sha(), s.path("name").asString(""), s.path("status").asString(""),
                        text(s, "description"), text(s, "target_url"), time(s)));
            }
            jobs.sort(NEWEST_FIRST);
            return new Known(clock.instant(), List.copyOf(jobs.subList(0, Math.min(jobs.size(), JOBS_PER_COMMIT))), null);
        } catch (ProxyFailure f) {
            return new Known(clock.instant(), List.of(), f.status().message());
        }
    }

    /** When it last changed: finished, else started, else created, as GitLab says it (to the millisecond); null when none parses. */
    private static Instant time(JsonNode s) {
        for (String key : List.of("finished_at", "started_at", "created_at")) {
            String t = text(s, key);
            if (t == null) continue;
            try {
                return Instant.parse(t);
            } catch (java.time.format.DateTimeParseException e) {
                // not a time: try the next
            }
        }
        return null;
    }

    /** Newest first, those without a time last. */
    static final Comparator<AgentView.ExternalJob> NEWEST_FIRST =
            Comparator.comparing(AgentView.ExternalJob::time, Comparator.nullsLast(Comparator.reverseOrder()));

    private static String text(JsonNode n, String key) {
        JsonNode v = n.path(key);
        return v.isString() && !v.asString().isEmpty() ? v.asString() : null;
    }

    @Override
    public void close() {
        readers.shutdownNow();
    }
}
