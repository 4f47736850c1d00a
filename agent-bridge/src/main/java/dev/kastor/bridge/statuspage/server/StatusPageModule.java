package dev.kastor.bridge.statuspage.server;

import dev.kastor.bridge.agents.AgentStore;
import dev.kastor.bridge.api.ApiEndpoint;
import dev.kastor.bridge.api.ApiRequest;
import dev.kastor.bridge.api.ApiResponse;
import dev.kastor.bridge.config.server.AgentConfigurations;
import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.bridge.kubeapi.server.GitLabJobApi;
import dev.kastor.bridge.kubeapi.server.JobAuthorizer;
import dev.kastor.bridge.kubeapi.server.ProxyFailure;
import dev.kastor.bridge.kubeapi.server.UserAuthorizer;
import dev.kastor.bridge.module.KasContext;
import dev.kastor.bridge.module.KasModule;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.bridge.observability.PrometheusText;
import dev.kastor.bridge.registration.server.RegistrationServer;
import dev.kastor.bridge.routing.server.AgentReplicas;
import dev.kastor.bridge.statuspage.StatusPageDefaults;
import dev.kastor.bridge.tunnel.server.TunnelFinder;
import dev.kastor.bridge.tunnel.server.TunnelRegistry;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The status page's sign-in and its JSON on the API port ({@code status_page} in the KAS config; without it, none of
 * this is served). A person signs in with a GitLab personal access token and sees the agents whose {@code user_access}
 * admits them, asked again on every read (user access caches each decision per config commit); an operator signs in
 * with the token of {@code status_page.operator_token_file} and sees every agent. Either way the answer is a session
 * cookie (HttpOnly, Secure, SameSite=Strict), and every action must carry the session's CSRF token.
 *
 * <p>Tokens are never logged, echoed or put in the page: a refused sign-in says only which kind of token was refused.
 * A host that keeps failing to sign in is refused for a while (429), so the operator token cannot be guessed at the
 * API port's speed.
 */
public final class StatusPageModule implements KasModule {
    private static final String NAME = "status_page";
    private static final tools.jackson.databind.json.JsonMapper JSON = tools.jackson.databind.json.JsonMapper.builder().build();

    private final AgentStore agents;
    private final Optional<UserAuthorizer> users;
    private final AgentFacts facts;
    private final Optional<ClusterReads> clusters;
    private final byte[] operatorToken;
    private final Sessions sessions;
    private final JsonLog log;
    private final SignInThrottle throttle;
    private final Pages pages = new Pages();


    private StatusPageModule(AgentStore agents, Optional<UserAuthorizer> users, AgentFacts facts, Optional<ClusterReads> clusters,
                             String operatorToken,
                             Sessions sessions, JsonLog log, Clock clock) {
        this.agents = agents;
        this.users = users;
        this.facts = facts;
        this.clusters = clusters;
        this.operatorToken = operatorToken == null ? null : operatorToken.getBytes(StandardCharsets.UTF_8);
        this.sessions = sessions;
        this.log = log;
        this.throttle = new SignInThrottle(clock);
    }

    public static KasModule create(KasContext context) {
        KasConfig.StatusPage config = context.config().statusPage();
        if (config == null) return new Off();
        var sessions = new Sessions(Clock.systemUTC(), config.sessionLifetime(), StatusPageDefaults.MAX_SESSIONS);
        var parts = context.parts();
        var clusters = parts.find(TunnelFinder.class).map(t -> new ClusterReads(t, Clock.systemUTC())); // none: no agent's cluster to ask
        var gitlab = context.config().gitlab();
        // Without a GitLab and KAS's own token, no commit statuses can be read; the page then has no external jobs.
        var statuses = gitlab == null || gitlab.url() == null || gitlab.apiToken() == null ? Optional.<CommitStatuses>empty()
                : Optional.of(new CommitStatuses(java.net.URI.create(gitlab.url()), GitLabJobApi.newHttpClient(), gitlab.apiToken(), Clock.systemUTC()));
        var facts = new AgentFacts(parts.find(TunnelRegistry.class), parts.find(AgentReplicas.class), parts.find(RegistrationServer.class),
                parts.find(AgentConfigurations.class), clusters, statuses);
        return new StatusPageModule(context.agents(), parts.find(UserAuthorizer.class), facts, clusters, config.operatorToken(), sessions,
                context.log(), Clock.systemUTC());
    }

    /** No {@code status_page} section: no endpoint, nothing to sign in to. */
    private static final class Off implements KasModule {
        @Override
        public String name() {
            return NAME;
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Map<String, ApiEndpoint> apiEndpoints() {
        return Map.of(StatusPageDefaults.PAGE_PATH, this::page,
                StatusPageDefaults.ROWS_PATH, this::rows,
                pages.scriptPath(), r -> pages.script(),
                pages.stylePath(), r -> pages.style(),
                StatusPageDefaults.SIGN_IN_PATH, this::signIn,
                StatusPageDefaults.SIGN_OUT_PATH, this::signOut,
                StatusPageDefaults.RECONCILE_PATH, this::reconcile,
                StatusPageDefaults.SESSION_PATH, this::session,
                StatusPageDefaults.AGENTS_PATH, this::agentList);
    }

    @Override
    public String prometheus() {
        return new PrometheusText().family("kastor_status_page_sessions", "gauge", "Status page sessions signed in on this KAS.")
                .sample("kastor_status_page_sessions", sessions.live()).toString();
    }

    /** The sign-in form, or, with a session, the agents it may see; the page's script keeps them current. */
    private ApiResponse page(ApiRequest request) throws InterruptedException {
        if (!request.method().equals("GET")) return ApiResponse.message(405, "use GET");
        var session = sessions.find(PageRequests.cookieValue(request));
        if (session.isEmpty()) return pages.signIn(200, null);
        try {
            return pages.page(session.get().who().describe(), session.get().csrfToken(), views(session.get().who(), StatusPageDefaults.PAGE));
        } catch (ProxyFailure f) {
            if (f.status().code() == 401) return pages.signIn(401, "GitLab no longer accepts your token: sign in again");
            return pages.signIn(503, "KAS cannot ask GitLab which agents you may see now: " + f.status().message());
        }
    }

    /** The table's rows for the page's script; 401 once the session has ended, which sends the page to the sign-in. */
    private ApiResponse rows(ApiRequest request) throws InterruptedException {
        if (!request.method().equals("GET")) return ApiResponse.message(405, "use GET");
        var session = sessions.find(PageRequests.cookieValue(request));
        if (session.isEmpty()) return PageRequests.notSignedIn();
        try {
            return pages.rows(session.get().csrfToken(), views(session.get().who(), StatusPageDefaults.PAGE));
        } catch (ProxyFailure f) {
            if (f.status().code() == 401) return PageRequests.notSignedIn();
            return ApiResponse.message(503, "KAS cannot ask GitLab which agents you may see now: " + f.status().message());
        }
    }

    private ApiResponse signIn(ApiRequest request) throws InterruptedException {
        ApiResponse r = signInAnswer(request);
        // A browser's form gets the page again with the reason; a script or curl gets the JSON.
        if (r.status() >= 400 && PageRequests.wantsHtml(request)) return pages.signIn(r.status(), PageRequests.messageOf(r));
        return r;
    }

    private ApiResponse signInAnswer(ApiRequest request) throws InterruptedException {
        if (!request.method().equals("POST")) return ApiResponse.message(405, "sign in with POST, form field token");
        if (!PageRequests.sameOrigin(request)) return PageRequests.crossOrigin();
        String host = request.client();
        if (throttle.throttled(host)) {
            return ApiResponse.message(429, "too many refused sign-ins from " + host + ": wait a minute, then sign in with a valid token")
                    .withHeader("Retry-After", String.valueOf(StatusPageDefaults.SIGN_IN_WINDOW.toSeconds()));
        }
        String token = PageRequests.form(request).get("token");
        if (token == null || token.isBlank()) {
            return ApiResponse.message(400, "give form field token: a GitLab personal access token (scope k8s_proxy), or the operator token");
        }
        token = token.strip();
        Sessions.Who who;
        if (operatorToken != null && MessageDigest.isEqual(token.getBytes(StandardCharsets.UTF_8), operatorToken)) {
            who = new Sessions.Operator();
        } else if (users.isEmpty()) {
            throttle.failed(host);
            return ApiResponse.message(401, "the token is not the operator token, and this KAS cannot check GitLab personal access tokens"
                    + " (it has no gitlab.url)");
        } else {
            try {
                var person = users.get().person(token);
                who = new Sessions.User(person.userId(), person.username(), token);
            } catch (ProxyFailure f) {
                if (f.status().code() == 401 || f.status().code() == 403) {
                    throttle.failed(host);
                    // GitLab's reason names scopes or a user's state, never the token
                    return ApiResponse.message(401, "the token is not the operator token, and as a personal access token: "
                            + f.status().message());
                }
                return ApiResponse.message(503, "KAS cannot check the token with GitLab now: " + f.status().message());
            }
        }
        var started = sessions.start(who);
        if (started.isEmpty()) {
            return ApiResponse.message(503, "KAS holds " + StatusPageDefaults.MAX_SESSIONS + " status page sessions already: try again when one has ended");
        }
        throttle.succeeded(host);
        log.info("status page sign-in", Map.of("who", who.describe(), "client", host));
        return ApiResponse.message(303, "signed in as " + who.describe())
                .withHeader("Location", StatusPageDefaults.PAGE_PATH)
                .withHeader("Set-Cookie", PageRequests.cookie(started.get().id(), sessions.lifetime()))
                .withHeader("Cache-Control", "no-store");
    }

    private ApiResponse signOut(ApiRequest request) {
        if (!request.method().equals("POST")) return ApiResponse.message(405, "sign out with POST and the session's CSRF token");
        if (!PageRequests.sameOrigin(request)) return PageRequests.crossOrigin();
        String id = PageRequests.cookieValue(request);
        var session = sessions.find(id);
        if (session.isEmpty()) return PageRequests.notSignedIn();
        if (!PageRequests.csrf(request, session.get())) return PageRequests.csrfRefused();
        sessions.end(id);
        return ApiResponse.message(303, "signed out")
                .withHeader("Location", StatusPageDefaults.PAGE_PATH)
                .withHeader("Set-Cookie", PageRequests.cookie("", Duration.ZERO))
                .withHeader("Cache-Control", "no-store");
    }

    /**
     * Asks Flux to reconcile one object now: sets {@code reconcile.fluxcd.io/requestedAt} through the agent's tunnel,
     * as {@code flux reconcile} does. A person acts as their user access makes them (the cluster's RBAC decides what
     * they may patch); an operator acts as the agent. Only agents the session may see, only Flux's four kinds, only
     * Kubernetes names: nothing else can reach the request's path.
     */
    private ApiResponse reconcile(ApiRequest request) throws InterruptedException {
        ApiResponse r = reconcileAnswer(request);
        if (PageRequests.wantsHtml(request) && r.status() < 400) {
            return ApiResponse.message(303, PageRequests.messageOf(r)).withHeader("Location", StatusPageDefaults.PAGE_PATH);
        }
        return r;
    }

    private ApiResponse reconcileAnswer(ApiRequest request) throws InterruptedException {
        if (!request.method().equals("POST")) return ApiResponse.message(405, "use POST with the session's CSRF token");
        if (!PageRequests.sameOrigin(request)) return PageRequests.crossOrigin();
        var session = sessions.find(PageRequests.cookieValue(request));
        if (session.isEmpty()) return PageRequests.notSignedIn();
        if (!PageRequests.csrf(request, session.get())) return PageRequests.csrfRefused();
        if (clusters.isEmpty()) return ApiResponse.message(503, "this KAS reaches no agent's tunnel");
        var f = PageRequests.form(request);
        long agentId;
        try {
            agentId = Long.parseLong(f.getOrDefault("agent", ""));
        } catch (NumberFormatException e) {
            return ApiResponse.message(400, "give form field agent: the agent's id");
        }
        // the page's buttons send object=KIND/NAMESPACE/NAME (one form per agent); a script may send the three apart
        String[] object = f.containsKey("object") ? f.get("object").split("/", -1) : new String[] {f.get("kind"), f.get("namespace"), f.get("name")};
        var path = object.length == 3 ? FluxObjects.objectPath(object[0], object[1], object[2]) : java.util.Optional.<String>empty();
        if (path.isEmpty()) {
            return ApiResponse.message(400, "give form fields kind (one of " + String.join(", ", FluxObjects.kinds())
                    + "), namespace and name (Kubernetes names), or object as KIND/NAMESPACE/NAME");
        }
        String kind = object[0];
        Sessions.Who who = session.get().who();
        dev.kastor.bridge.tunnel.rpc.Impersonation as;
        try {
            Set<Long> visible = visible(who);
            if (visible != null && !visible.contains(agentId)) {
                return ApiResponse.message(404, "no agent " + agentId + " among the agents you may see");
            }
            as = switch (who) {
                case Sessions.Operator o -> dev.kastor.bridge.tunnel.rpc.Impersonation.getDefaultInstance();
                case Sessions.User u -> users.orElseThrow().authorize(agentId, u.personalAccessToken()).impersonation();
            };
        } catch (ProxyFailure e) {
            int code = e.status().code();
            return ApiResponse.message(code == 401 || code == 403 ? code : 503, e.status().message());
        }
        if (agents.byId(agentId).filter(AgentStore.Agent::active).isEmpty()) return ApiResponse.message(404, "no agent " + agentId);
        String described = kind + " " + object[1] + "/" + object[2];
        TunnelCall.Answer a;
        try {
            a = clusters.get().requestReconcile(agentId, path.get(), as);
        } catch (TunnelCall.Failed e) {
            return ApiResponse.message(503, "cannot reach agent " + agentId + " to reconcile " + described + ": " + e.getMessage());
        }
        if (a.status() / 100 != 2) {
            return ApiResponse.message(a.status() == 403 || a.status() == 404 ? a.status() : 502, "the cluster of agent " + agentId
                    + " answered " + a.status() + " to the reconcile of " + described + ": " + apiMessage(a.body()));
        }
        log.info("status page reconcile requested", Map.of("who", who.describe(), "agent_id", agentId, "object", described));
        return ApiResponse.message(200, "reconcile of " + described + " requested");
    }

    /** The API server's Status message, or its first bytes. */
    private static String apiMessage(byte[] body) {
        try {
            String m = JSON.readTree(body).path("message").asString("");
            if (!m.isEmpty()) return m;
        } catch (RuntimeException notJson) {
            // said below as text
        }
        return new String(body, 0, Math.min(body.length, 300), StandardCharsets.UTF_8);
    }

    private ApiResponse session(ApiRequest request) {
        if (!request.method().equals("GET")) return ApiResponse.message(405, "use GET");
        var session = sessions.find(PageRequests.cookieValue(request));
        if (session.isEmpty()) return PageRequests.notSignedIn();
        var s = session.get();
        var body = new LinkedHashMap<String, Object>();
        switch (s.who()) {
            case Sessions.Operator o -> body.put("kind", "operator");
            case Sessions.User u -> {
                body.put("kind", "user");
                body.put("user_id", u.userId());
                body.put("username", u.username());
            }
        }
        body.put("csrf_token", s.csrfToken());
        body.put("expires", s.expires().toString());
        return ApiResponse.json(200, body).withHeader("Cache-Control", "no-store");
    }

    private ApiResponse agentList(ApiRequest request) throws InterruptedException {
        if (!request.method().equals("GET")) return ApiResponse.message(405, "use GET");
        var session = sessions.find(PageRequests.cookieValue(request));
        if (session.isEmpty()) return PageRequests.notSignedIn();
        List<AgentView> shown;
        try {
            shown = views(session.get().who(), StatusPageDefaults.API);
        } catch (ProxyFailure f) {
            if (f.status().code() == 401) return PageRequests.notSignedIn();
            return ApiResponse.message(503, "KAS cannot ask GitLab which agents you may see now: " + f.status().message());
        }
        var list = new ArrayList<Map<String, Object>>();
        for (AgentView a : shown) list.add(a.json());
        return ApiResponse.json(200, Map.of("agents", list)).withHeader("Cache-Control", "no-store");
    }

    private List<AgentView> views(Sessions.Who who, StatusPageDefaults.Freshness freshness) throws ProxyFailure, InterruptedException {
        return views(visible(who), viewer(who), freshness);
    }

    /** The active agents among {@code visible} (null: all), by id. */
    private List<AgentView> views(Set<Long> visible, AgentFacts.Viewer viewer, StatusPageDefaults.Freshness freshness)
            throws InterruptedException {
        var shown = new ArrayList<AgentStore.Agent>();
        for (AgentStore.Agent a : agents.list()) {
            if (!a.active() || (visible != null && !visible.contains(a.id()))) continue;
            shown.add(a);
        }
        return facts.of(shown, viewer, freshness);
    }

    /** The session as the facts see it: an operator sees everything, a person the projects GitLab lets them read. */
    private AgentFacts.Viewer viewer(Sessions.Who who) {
        return switch (who) {
            case Sessions.Operator o -> new AgentFacts.Viewer() {
                @Override
                public boolean operator() {
                    return true;
                }

                @Override
                public boolean mayRead(String fullPath) {
                    return true;
                }
            };
            case Sessions.User u -> new AgentFacts.Viewer() {
                @Override
                public boolean operator() {
                    return false;
                }

                @Override
                public boolean mayRead(String fullPath) throws ProxyFailure, InterruptedException {
                    return users.orElseThrow().mayReadProject(u.userId(), fullPath);
                }
            };
        };
    }

    @Override
    public void close() {
        clusters.ifPresent(ClusterReads::close);
        facts.close();
    }

    /** The ids a person may see; null for an operator, who sees every agent. */
    private Set<Long> visible(Sessions.Who who) throws ProxyFailure, InterruptedException {
        return switch (who) {
            case Sessions.Operator o -> null;
            case Sessions.User u -> users.orElseThrow().allowedAgents(u.personalAccessToken()).stream()
                    .map(JobAuthorizer.AllowedAgent::id).collect(Collectors.toSet());
        };
    }

}
