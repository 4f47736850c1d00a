package dev.kastor.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A GitLab API stand-in (no GitLab can run here) that follows GitLab's documented API for the calls Kastor makes:
 * {@code GET /api/v4/job} and {@code GET /api/v4/job/allowed_agents} with {@code JOB-TOKEN}, and
 * {@code POST /api/v4/projects/:id/statuses/:sha} with an api-scoped token ({@code PRIVATE-TOKEN} or
 * {@code Authorization: Bearer}). Like GitLab, a job token may not post commit statuses, and posting the state a
 * status already has is refused with 400 ("Cannot transition status"), which is why callers must deduplicate. Also
 * the generic package registry's upload ({@code PUT /api/v4/projects/:id/packages/generic/:package/:version/:file},
 * with a running job's {@code JOB-TOKEN} of that project or an api token), where Kastor's release pipeline puts its jars.
 * For user access: users, their personal access tokens ({@code GET /api/v4/personal_access_tokens/self}, which any
 * scope may call, and {@code GET /api/v4/user}, which needs {@code api}, {@code read_api} or {@code read_user}: a
 * {@code k8s_proxy}-only token gets 403 {@code insufficient_scope} as from GitLab), and with a read_api token
 * {@code GET /api/v4/users/:id}, {@code /projects/:id}, {@code /groups/:id} and their {@code /members/all/:user_id}
 * (memberships inherited from ancestor groups count, the highest level wins). Ids may be numbers or URL-encoded paths.
 * Also, for the status page, {@code GET /api/v4/projects/:id/repository/commits/:sha/statuses} with a read_api token:
 * the statuses posted here, all of stage {@code external} as GitLab gives statuses posted through the API, oldest
 * first ({@code sort=desc}: newest first), only the latest per name and ref unless {@code all=true}, filtered by
 * {@code stage}, {@code name} and {@code ref}, {@code per_page} at most.
 * One instance per test class; shared by every module through the oci-packager test-jar.
 */
public final class GitLabApiStandIn implements AutoCloseable {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Pattern STATUSES = Pattern.compile("/api/v4/projects/([^/]+)/statuses/([0-9a-f]{7,64})");
    private static final Pattern COMMIT_STATUSES = Pattern.compile("/api/v4/projects/([^/]+)/repository/commits/([0-9a-f]{7,64})/statuses");
    private static final Pattern GENERIC_PACKAGE = Pattern.compile("/api/v4/projects/([^/]+)/packages/generic/([^/]+)/([^/]+)/([^/]+)");

    /** An agent a job may use, as {@code allowed_agents} lists it. {@code accessAs} is e.g. {@code Map.of("ci_job", Map.of())}. */
    public record AllowedAgent(long id, long configProjectId, String defaultNamespace, Map<String, Object> accessAs) {}

    /** A running CI job and what GitLab knows about it. {@code environmentSlug}/{@code environmentTier} may be null. */
    public record Job(String token, long id, long projectId, String projectPath, long pipelineId, List<Long> groupIds,
                      long userId, String username, String environmentSlug, String environmentTier, List<AllowedAgent> allowedAgents) {}

    /** One file uploaded to the generic package registry, with the SHA-256 of what arrived. */
    public record PackageFile(String projectId, String packageName, String version, String fileName, long size, String sha256) {}

    /** One commit status GitLab accepted. */
    public record CommitStatus(String projectId, String sha, String state, String name, String ref, String targetUrl,
                               String description, String pipelineId, java.time.Instant created) {
        public CommitStatus(String projectId, String sha, String state, String name, String ref, String targetUrl, String description,
                            String pipelineId) {
            this(projectId, sha, state, name, ref, targetUrl, description, pipelineId, java.time.Instant.now());
        }
    }

    /** A GitLab user; {@code state} is {@code active} or e.g. {@code blocked}. */
    public record User(long id, String username, String state) {}

    /** A personal access token of a user, with its scopes; {@code revoked} ones get 401 like unknown ones. */
    public record PersonalAccessToken(String token, long id, long userId, List<String> scopes) {}

    private static final Pattern MEMBER = Pattern.compile("/api/v4/(projects|groups)/([^/]+)/members/all/([0-9]+)");
    private static final Pattern NAMESPACE = Pattern.compile("/api/v4/(projects|groups)/([^/]+)");
    private static final Pattern USER = Pattern.compile("/api/v4/users/([0-9]+)");
    private static final List<String> READ_SCOPES = List.of("api", "read_api");

    private final Map<Long, User> users = new ConcurrentHashMap<>();
    private final Map<String, PersonalAccessToken> personalTokens = new ConcurrentHashMap<>();
    /** Full path to id, per kind ({@code projects}, {@code groups}). */
    private final Map<String, Map<String, Long>> namespaces = Map.of("projects", new ConcurrentHashMap<>(), "groups", new ConcurrentHashMap<>());
    /** {@code <full path>/<user id>} to access level, for projects and groups alike (paths are unique across both). */
    private final Map<String, Integer> members = new ConcurrentHashMap<>();
    private final HttpServer server;
    private final Map<String, Job> jobs = new ConcurrentHashMap<>();
    private final Map<String, String> apiTokens = new ConcurrentHashMap<>();
    private final List<CommitStatus> statuses = new CopyOnWriteArrayList<>();
    private final List<PackageFile> packageFiles = new CopyOnWriteArrayList<>();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger failStatusPosts = new AtomicInteger();
    private volatile int failStatusCode = 503;

    private GitLabApiStandIn() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "gitlab-stand-in");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/", this::handle);
        server.start();
    }

    public static GitLabApiStandIn start() {
        return new GitLabApiStandIn();
    }

    /** {@code http://127.0.0.1:<port>}: what {@code CI_SERVER_URL} would be. */
    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** What {@code CI_API_V4_URL} would be. */
    public String apiV4Url() {
        return url() + "/api/v4";
    }

    public Job addJob(Job job) {
        jobs.put(job.token(), job);
        return job;
    }

    public void removeJob(String token) {
        jobs.remove(token);
    }

    /** A personal/project access token with {@code api} scope on {@code projectId} (its numeric id or full path). */
    public void addApiToken(String token, String projectId) {
        apiTokens.put(token, projectId);
    }

    public User addUser(User user) {
        users.put(user.id(), user);
        return user;
    }

    public PersonalAccessToken addPersonalAccessToken(PersonalAccessToken token) {
        personalTokens.put(token.token(), token);
        return token;
    }

    /** Revokes a personal access token: GitLab then answers 401 to it. */
    public void revokePersonalAccessToken(String token) {
        personalTokens.remove(token);
    }

    public void addProject(long id, String fullPath) {
        namespaces.get("projects").put(fullPath, id);
    }

    public void addGroup(long id, String fullPath) {
        namespaces.get("groups").put(fullPath, id);
    }

    /** Makes the user a direct member of a project or group (by full path) with {@code accessLevel} (30 Developer, 40 Maintainer...). */
    public void addMember(String fullPath, long userId, int accessLevel) {
        members.put(fullPath + "/" + userId, accessLevel);
    }

    /** The next {@code n} status posts get {@code code} (e.g. 503 or 429), to exercise retries. */
    public void failNextStatusPosts(int n, int code) {
        failStatusCode = code;
        failStatusPosts.set(n);
    }

    public List<CommitStatus> statuses() {
        return List.copyOf(statuses);
    }

    public List<PackageFile> packageFiles() {
        return List.copyOf(packageFiles);
    }

    /** Every request as {@code METHOD path}, in order. */
    public List<String> requests() {
        return List.copyOf(requests);
    }

    @Override
    public void close() {
        server.stop(0);
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            String method = ex.getRequestMethod();
            requests.add(method + " " + path);
            if (method.equals("GET") && path.equals("/api/v4/job")) {
                withJob(ex, job -> send(ex, 200, jobJson(job)));
            } else if (method.equals("GET") && path.equals("/api/v4/job/allowed_agents")) {
                withJob(ex, job -> send(ex, 200, allowedAgentsJson(job)));
            } else if (method.equals("POST") && STATUSES.matcher(ex.getRequestURI().getRawPath()).matches()) {
                // :id may be a URL-encoded full path: matched before decoding, as GitLab routes it
                Matcher m = STATUSES.matcher(ex.getRequestURI().getRawPath());
                m.matches();
                postStatus(ex, URLDecoder.decode(m.group(1), StandardCharsets.UTF_8), m.group(2));
            } else if (method.equals("GET") && COMMIT_STATUSES.matcher(ex.getRequestURI().getRawPath()).matches()) {
                Matcher m = COMMIT_STATUSES.matcher(ex.getRequestURI().getRawPath());
                m.matches();
                listStatuses(ex, m.group(1), m.group(2));
            } else if (method.equals("PUT") && GENERIC_PACKAGE.matcher(path).matches()) {
                Matcher m = GENERIC_PACKAGE.matcher(path);
                m.matches();
                putPackageFile(ex, URLDecoder.decode(m.group(1), StandardCharsets.UTF_8), m.group(2), m.group(3), m.group(4));
            } else if (!method.equals("GET") || !userApi(ex, ex.getRequestURI().getRawPath())) {
                send(ex, 404, Map.of("error", "404 Not Found"));
            }
        }
    }

    /** The user-access calls; false when {@code path} is none of them. */
    private boolean userApi(HttpExchange ex, String path) throws IOException {
        PersonalAccessToken pat = personalTokens.get(String.valueOf(token(ex)));
        if (path.equals("/api/v4/personal_access_tokens/self")) {
            if (pat == null) send(ex, 401, Map.of("message", "401 Unauthorized"));
            else send(ex, 200, patJson(pat));
            return true;
        }
        Matcher member = MEMBER.matcher(path);
        Matcher namespace = NAMESPACE.matcher(path);
        Matcher user = USER.matcher(path);
        boolean read = path.equals("/api/v4/user") || member.matches() || namespace.matches() || user.matches();
        if (!read) return false;
        if (pat == null) {
            send(ex, 401, Map.of("message", "401 Unauthorized"));
        } else if (pat.scopes().stream().noneMatch(READ_SCOPES::contains)
                && !(path.equals("/api/v4/user") && pat.scopes().contains("read_user"))) {
            send(ex, 403, Map.of("error", "insufficient_scope", "error_description",
                    "The request requires higher privileges than provided by the access token.", "scope", "api read_api"));
        } else if (path.equals("/api/v4/user")) {
            sendUser(ex, pat.userId());
        } else if (user.matches()) {
            sendUser(ex, Long.parseLong(user.group(1)));
        } else if (member.matches()) {
            sendMember(ex, fullPath(member.group(1), member.group(2)), Long.parseLong(member.group(3)));
        } else {
            String full = fullPath(namespace.group(1), namespace.group(2));
            if (full == null) send(ex, 404, Map.of("message", "404 " + (namespace.group(1).equals("projects") ? "Project" : "Group") + " Not Found"));
            else send(ex, 200, Map.of("id", namespaces.get(namespace.group(1)).get(full), namespace.group(1).equals("projects")
                    ? "path_with_namespace" : "full_path", full));
        }
        return true;
    }

    private static String token(HttpExchange ex) {
        String token = ex.getRequestHeaders().getFirst("PRIVATE-TOKEN");
        String bearer = ex.getRequestHeaders().getFirst("Authorization");
        return token == null && bearer != null && bearer.startsWith("Bearer ") ? bearer.substring(7) : token;
    }

    private static Map<String, Object> patJson(PersonalAccessToken pat) {
        var m = new LinkedHashMap<String, Object>();
        m.put("id", pat.id());
        m.put("name", "kastor-test");
        m.put("revoked", false);
        m.put("created_at", "2025-01-01T00:00:00.000Z");
        m.put("scopes", pat.scopes());
        m.put("user_id", pat.userId());
        m.put("last_used_at", null);
        m.put("active", true);
        m.put("expires_at", "2099-01-01");
        return m;
    }

    private void sendUser(HttpExchange ex, long id) throws IOException {
        User u = users.get(id);
        if (u == null) send(ex, 404, Map.of("message", "404 User Not Found"));
        else send(ex, 200, Map.of("id", u.id(), "username", u.username(), "name", u.username(), "state", u.state()));
    }

    /** A numeric id or a URL-encoded full path, as GitLab takes {@code :id}; null when unknown. */
    private String fullPath(String kind, String rawId) {
        String id = URLDecoder.decode(rawId, StandardCharsets.UTF_8);
        var known = namespaces.get(kind);
        if (known.containsKey(id)) return id;
        return known.entrySet().stream().filter(e -> String.valueOf(e.getValue()).equals(id)).map(Map.Entry::getKey).findFirst().orElse(null);
    }

    /** GitLab's members/all: the highest level of the user in the path and its ancestor groups. */
    private void sendMember(HttpExchange ex, String fullPath, long userId) throws IOException {
        int level = 0;
        for (String p = fullPath; p != null; p = p.contains("/") ? p.substring(0, p.lastIndexOf('/')) : null) {
            level = Math.max(level, members.getOrDefault(p + "/" + userId, 0));
        }
        User u = users.get(userId);
        if (fullPath == null || u == null || level == 0) {
            send(ex, 404, Map.of("message", "404 Not found"));
            return;
        }
        send(ex, 200, Map.of("id", u.id(), "username", u.username(), "name", u.username(), "state", u.state(), "access_level", level));
    }

    private interface JobHandler {
        void handle(Job job) throws IOException;
    }

    private void withJob(HttpExchange ex, JobHandler handler) throws IOException {
        Job job = jobs.get(String.valueOf(ex.getRequestHeaders().getFirst("JOB-TOKEN")));
        if (job == null) {
            send(ex, 401, Map.of("message", "401 Unauthorized"));
        } else {
            handler.handle(job);
        }
    }

    private Map<String, Object> jobJson(Job job) {
        var m = new LinkedHashMap<String, Object>();
        m.put("id", job.id());
        m.put("status", "running");
        m.put("web_url", url() + "/" + job.projectPath() + "/-/jobs/" + job.id());
        m.put("pipeline", Map.of("id", job.pipelineId(), "project_id", job.projectId(), "status", "running"));
        m.put("user", Map.of("id", job.userId(), "username", job.username()));
        return m;
    }

    private Map<String, Object> allowedAgentsJson(Job job) {
        var agents = new ArrayList<Map<String, Object>>();
        for (AllowedAgent a : job.allowedAgents()) {
            var configuration = new LinkedHashMap<String, Object>();
            if (a.defaultNamespace() != null) configuration.put("default_namespace", a.defaultNamespace());
            if (a.accessAs() != null) configuration.put("access_as", a.accessAs());
            agents.add(Map.of("id", a.id(), "config_project", Map.of("id", a.configProjectId()), "configuration", configuration));
        }
        var m = new LinkedHashMap<String, Object>();
        m.put("allowed_agents", agents);
        m.put("job", Map.of("id", job.id()));
        m.put("pipeline", Map.of("id", job.pipelineId()));
        m.put("project", Map.of("id", job.projectId(), "groups", job.groupIds().stream().map(id -> Map.of("id", id)).toList()));
        m.put("user", Map.of("id", job.userId(), "username", job.username()));
        if (job.environmentSlug() != null) {
            m.put("environment", Map.of("slug", job.environmentSlug(), "tier", job.environmentTier()));
        }
        return m;
    }

    private void postStatus(HttpExchange ex, String project, String sha) throws IOException {
        if (ex.getRequestHeaders().containsKey("JOB-TOKEN")) {
            // GitLab: CI_JOB_TOKEN has no permission on the commit statuses API.
            send(ex, 401, Map.of("message", "401 Unauthorized"));
            return;
        }
        String token = ex.getRequestHeaders().getFirst("PRIVATE-TOKEN");
        String bearer = ex.getRequestHeaders().getFirst("Authorization");
        if (token == null && bearer != null && bearer.startsWith("Bearer ")) token = bearer.substring(7);
        String allowed = token == null ? null : apiTokens.get(token);
        if (allowed == null) {
            send(ex, 401, Map.of("message", "401 Unauthorized"));
            return;
        }
        if (!allowed.equals(project)) {
            send(ex, 404, Map.of("message", "404 Project Not Found"));
            return;
        }
        if (failStatusPosts.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            send(ex, failStatusCode, Map.of("message", failStatusCode + " injected by the test"));
            return;
        }
        Map<String, String> p = params(ex);
        String state = p.get("state");
        if (state == null || !List.of("pending", "running", "success", "failed", "canceled", "skipped").contains(state)) {
            send(ex, 400, Map.of("error", "state does not have a valid value"));
            return;
        }
        String name = p.getOrDefault("name", p.getOrDefault("context", "default"));
        String ref = p.get("ref");
        for (CommitStatus s : statuses) {
            boolean same = s.projectId().equals(project) && s.sha().equals(sha) && s.name().equals(name) && java.util.Objects.equals(s.ref(), ref);
            if (same && s.state().equals(state) && isLatest(s)) {
                send(ex, 400, Map.of("message", "Cannot transition status via :" + state + " from :" + state));
                return;
            }
        }
        var status = new CommitStatus(project, sha, state, name, ref, p.get("target_url"), p.get("description"), p.get("pipeline_id"));
        statuses.add(status);
        var body = new LinkedHashMap<String, Object>();
        body.put("id", statuses.size());
        body.put("sha", sha);
        body.put("ref", ref);
        body.put("status", state);
        body.put("name", name);
        body.put("target_url", status.targetUrl());
        body.put("description", status.description());
        send(ex, 201, body);
    }

    /** GitLab's list of a commit's statuses; a read_api personal token sees every project here, a project token its own. */
    private void listStatuses(HttpExchange ex, String rawProject, String sha) throws IOException {
        String token = token(ex);
        PersonalAccessToken pat = personalTokens.get(String.valueOf(token));
        String projectToken = token == null ? null : apiTokens.get(token);
        String project = URLDecoder.decode(rawProject, StandardCharsets.UTF_8);
        String path = fullPath("projects", rawProject);
        Long id = path == null ? null : namespaces.get("projects").get(path);
        if (pat == null && projectToken == null) {
            send(ex, 401, Map.of("message", "401 Unauthorized"));
            return;
        }
        if (pat != null && pat.scopes().stream().noneMatch(READ_SCOPES::contains)) {
            send(ex, 403, Map.of("error", "insufficient_scope", "scope", "api read_api"));
            return;
        }
        java.util.function.Predicate<String> sameProject = p -> p.equals(project) || p.equals(path) || (id != null && p.equals(String.valueOf(id)));
        if ((pat != null && path == null) || (pat == null && !sameProject.test(projectToken))) {
            send(ex, 404, Map.of("message", "404 Project Not Found"));
            return;
        }
        var q = new HashMap<String, String>();
        parseForm(ex.getRequestURI().getRawQuery(), q);
        var out = new java.util.ArrayList<Map<String, Object>>();
        for (int i = 0; i < statuses.size(); i++) {
            CommitStatus s = statuses.get(i);
            if (!sameProject.test(s.projectId()) || !s.sha().startsWith(sha)) continue;
            if (q.containsKey("stage") && !q.get("stage").equals("external")) continue;
            if (q.containsKey("name") && !q.get("name").equals(s.name())) continue;
            if (q.containsKey("ref") && !q.get("ref").equals(s.ref())) continue;
            if (!"true".equals(q.get("all")) && !isLatest(s)) continue;
            var m = new LinkedHashMap<String, Object>();
            m.put("id", i + 1);
            m.put("sha", s.sha());
            m.put("ref", s.ref());
            m.put("status", s.state());
            m.put("name", s.name());
            m.put("stage", "external");
            m.put("target_url", s.targetUrl());
            m.put("description", s.description());
            m.put("created_at", s.created().toString());
            m.put("started_at", null);
            m.put("finished_at", List.of("success", "failed", "canceled", "skipped").contains(s.state()) ? s.created().toString() : null);
            m.put("allow_failure", false);
            out.add(m);
        }
        if ("desc".equals(q.get("sort"))) java.util.Collections.reverse(out);
        if (q.containsKey("per_page")) out.subList(Math.min(out.size(), Integer.parseInt(q.get("per_page"))), out.size()).clear();
        send(ex, 200, out);
    }

    private void putPackageFile(HttpExchange ex, String project, String name, String version, String file) throws IOException {
        String jobToken = ex.getRequestHeaders().getFirst("JOB-TOKEN");
        String allowed = jobToken != null ? java.util.Optional.ofNullable(jobs.get(jobToken))
                .map(j -> String.valueOf(j.projectId())).orElse(null) : apiTokens.get(String.valueOf(ex.getRequestHeaders().getFirst("PRIVATE-TOKEN")));
        if (allowed == null) {
            send(ex, 401, Map.of("message", "401 Unauthorized"));
            return;
        }
        if (!allowed.equals(project)) {
            send(ex, 403, Map.of("message", "403 Forbidden"));
            return;
        }
        try (var in = ex.getRequestBody()) {
            var sha = java.security.MessageDigest.getInstance("SHA-256");
            long size = 0;
            byte[] buf = new byte[65536];
            for (int r; (r = in.read(buf)) >= 0; size += r) sha.update(buf, 0, r);
            packageFiles.add(new PackageFile(project, name, version, file, size, java.util.HexFormat.of().formatHex(sha.digest())));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        send(ex, 201, Map.of("message", "201 Created"));
    }

    private boolean isLatest(CommitStatus candidate) {
        CommitStatus latest = null;
        for (CommitStatus s : statuses) {
            if (s.projectId().equals(candidate.projectId()) && s.sha().equals(candidate.sha()) && s.name().equals(candidate.name())
                    && java.util.Objects.equals(s.ref(), candidate.ref())) {
                latest = s;
            }
        }
        return latest == candidate;
    }

    /** GitLab takes parameters as query string, form body or JSON body. */
    private static Map<String, String> params(HttpExchange ex) throws IOException {
        var p = new HashMap<String, String>();
        parseForm(ex.getRequestURI().getRawQuery(), p);
        String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        String type = String.valueOf(ex.getRequestHeaders().getFirst("Content-Type"));
        if (type.startsWith("application/json") && !body.isBlank()) {
            JsonNode n = JSON.readTree(body);
            n.properties().forEach(e -> p.put(e.getKey(), e.getValue().isNull() ? null : e.getValue().asString()));
        } else {
            parseForm(body, p);
        }
        return p;
    }

    private static void parseForm(String raw, Map<String, String> into) {
        if (raw == null || raw.isEmpty()) return;
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            into.put(k, v);
        }
    }

    private static void send(HttpExchange ex, int status, Object body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
    }
}
