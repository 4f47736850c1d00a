package dev.kastor.bridge.useraccess.server;

import dev.kastor.bridge.kubeapi.server.AnswerCache;
import dev.kastor.bridge.kubeapi.server.GitLabGet;
import dev.kastor.bridge.kubeapi.server.K8sStatus;
import dev.kastor.bridge.kubeapi.server.ProxyFailure;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * What user access asks GitLab's REST API, and with which token. A person's token may hold only scope
 * {@code k8s_proxy}, which GitLab lets read nothing but {@code GET /personal_access_tokens/self} (any scope may):
 * that gives its scopes and owner. Everything else is asked with KAS's own token ({@code gitlab.api_token_file},
 * scope {@code read_api}): the owner ({@code GET /users/:id}), numeric ids ({@code GET /projects/:path},
 * {@code /groups/:path}) and roles ({@code GET /projects/:path/members/all/:user_id}, {@code /groups/...}, which count
 * memberships inherited from ancestor groups, as GitLab's own check does). Every answer is cached ({@link AnswerCache}).
 */
final class GitLabUsers {
    /** Who owns a personal access token that may reach the k8s proxy. */
    record Identity(long userId, String username) {}

    /** GitLab's roles and their access levels ({@code Gitlab::Access.sym_options_with_owner}). */
    static final Map<String, Integer> ROLES = orderedRoles();
    static final int REPORTER = 20;
    static final int DEVELOPER = 30;
    /** Scopes that let a personal access token through the k8s proxy: {@code k8s_proxy}, or {@code api} (older GitLab). */
    static final List<String> PROXY_SCOPES = List.of("k8s_proxy", "api");

    private static final int MAX_ENTRIES = 20_000;

    private final URI gitlabUrl;
    private final HttpClient http;
    private final String kasToken;
    private final AnswerCache<Identity> identities = new AnswerCache<>(MAX_ENTRIES);
    private final AnswerCache<Integer> levels = new AnswerCache<>(MAX_ENTRIES);
    private final AnswerCache<Long> ids = new AnswerCache<>(MAX_ENTRIES);

    /** {@code kasToken} null when {@code gitlab.api_token_file} is not set: then every lookup says so. */
    GitLabUsers(URI gitlabUrl, HttpClient http, String kasToken) {
        this.gitlabUrl = gitlabUrl;
        this.http = http;
        this.kasToken = kasToken;
    }

    private static Map<String, Integer> orderedRoles() {
        var m = new java.util.LinkedHashMap<String, Integer>();
        m.put("guest", 10);
        m.put("planner", 15);
        m.put("reporter", 20);
        m.put("developer", 30);
        m.put("maintainer", 40);
        m.put("owner", 50);
        return java.util.Collections.unmodifiableMap(m);
    }

    /** Every role up to {@code level}, as GitLab names them in the impersonation groups. */
    static List<String> roles(int level) {
        var out = new ArrayList<String>();
        ROLES.forEach((role, l) -> {
            if (l <= level) out.add(role);
        });
        return out;
    }

    /** The token's owner, once its scopes are checked; 401 for a token GitLab does not know (revoked, expired). */
    Identity identify(String personalAccessToken) throws ProxyFailure, InterruptedException {
        return identities.get(personalAccessToken, () -> fetchIdentity(personalAccessToken));
    }

    private Identity fetchIdentity(String pat) throws ProxyFailure, InterruptedException {
        String path = "/api/v4/personal_access_tokens/self";
        HttpResponse<byte[]> r = GitLabGet.send(http, gitlabUrl, path, "PRIVATE-TOKEN", pat, "about the personal access token");
        if (r.statusCode() == 401 || r.statusCode() == 403 || r.statusCode() == 404) {
            throw new ProxyFailure(K8sStatus.unauthorized("GitLab does not accept the personal access token (" + r.statusCode()
                    + "): it is unknown, expired or revoked; make a new one with scope k8s_proxy (glab cluster agent get-token)"));
        }
        JsonNode token = GitLabGet.json(r, gitlabUrl, path);
        if (!token.path("active").asBoolean(true) || token.path("revoked").asBoolean(false)) {
            throw new ProxyFailure(K8sStatus.unauthorized("the personal access token is revoked or expired: make a new one with scope k8s_proxy"));
        }
        var scopes = new ArrayList<String>();
        token.path("scopes").forEach(s -> scopes.add(s.asString()));
        if (PROXY_SCOPES.stream().noneMatch(scopes::contains)) {
            throw new ProxyFailure(K8sStatus.forbidden("the personal access token has scopes " + scopes + " but not k8s_proxy (nor api,"
                    + " which older GitLab versions need): make one with scope k8s_proxy (glab cluster agent get-token)"));
        }
        long userId = token.path("user_id").asLong();
        JsonNode user = kasGet("/api/v4/users/" + userId, "about the token's owner");
        if (user == null) throw new ProxyFailure(K8sStatus.unauthorized("GitLab knows no user " + userId + " for the personal access token"));
        if (!"active".equals(user.path("state").asString("active"))) {
            throw new ProxyFailure(K8sStatus.forbidden("GitLab user " + user.path("username").asString() + " is "
                    + user.path("state").asString() + ", not active: an administrator must unblock them"));
        }
        return new Identity(userId, user.path("username").asString());
    }

    /** The person's access level in a project or group ({@code kind} {@code projects} or {@code groups}, inherited ones included); 0 when none. */
    int accessLevel(String kind, String fullPath, long userId) throws ProxyFailure, InterruptedException {
        String path = "/api/v4/" + kind + "/" + encode(fullPath) + "/members/all/" + userId;
        return levels.get(path, () -> {
            JsonNode member = kasGet(path, "about " + fullPath + "'s members");
            return member == null || !"active".equals(member.path("state").asString("active")) ? 0 : member.path("access_level").asInt();
        });
    }

    /** The numeric id of a project or group by its full path (what the impersonation groups name). */
    long id(String kind, String fullPath) throws ProxyFailure, InterruptedException {
        String path = "/api/v4/" + kind + "/" + encode(fullPath) + (kind.equals("groups") ? "?with_projects=false" : "");
        return ids.get(path, () -> {
            JsonNode found = kasGet(path, "about " + fullPath);
            if (found == null) {
                throw new ProxyFailure(K8sStatus.unavailable("GitLab knows no " + kind.substring(0, kind.length() - 1) + " " + fullPath
                        + " (or KAS's gitlab.api_token_file token cannot see it)"));
            }
            return found.path("id").asLong();
        });
    }

    /** A GET with KAS's own token: the JSON, or null for 404. */
    private JsonNode kasGet(String path, String about) throws ProxyFailure, InterruptedException {
        if (kasToken == null) {
            throw new ProxyFailure(K8sStatus.unavailable("user access needs KAS's own GitLab token: a person's k8s_proxy token cannot read"
                    + " GitLab's members API; set gitlab.api_token_file in KAS's config (a token with scope read_api that sees the"
                    + " projects and groups under user_access)"));
        }
        HttpResponse<byte[]> r = GitLabGet.send(http, gitlabUrl, path, "PRIVATE-TOKEN", kasToken, about);
        if (r.statusCode() == 404) return null;
        if (r.statusCode() == 401 || r.statusCode() == 403) {
            throw new ProxyFailure(K8sStatus.unavailable("GitLab refuses KAS's own token from gitlab.api_token_file (" + r.statusCode()
                    + "): it must be valid and have scope read_api"));
        }
        return GitLabGet.json(r, gitlabUrl, path);
    }

    private static String encode(String fullPath) {
        return URLEncoder.encode(fullPath, StandardCharsets.UTF_8);
    }
}
