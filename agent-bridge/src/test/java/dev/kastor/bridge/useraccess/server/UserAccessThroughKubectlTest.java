package dev.kastor.bridge.useraccess.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.Bridge;
import dev.kastor.bridge.GitHttpServer;
import dev.kastor.bridge.Kubeconfigs;
import dev.kastor.bridge.Upstream;
import dev.kastor.bridge.agentapp.Agent;
import dev.kastor.bridge.config.server.ConfigServerModule;
import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.testing.Eventually;
import dev.kastor.testing.GitLabApiStandIn;
import dev.kastor.testing.GitLabApiStandIn.PersonalAccessToken;
import dev.kastor.testing.GitLabApiStandIn.User;
import dev.kastor.testing.Programs;
import dev.kastor.testing.SelfSignedCert;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * GitLab's user access through Kastor's KAS: real kubectl with a kubeconfig whose user token is
 * {@code pat:<agent id>:<personal access token>} -> KAS (HTTPS k8s proxy) -> a real agent -> an upstream that records
 * what arrives. The agents' config files come from a real Git server; GitLab is the API stand-in (users, tokens,
 * memberships as GitLab's REST API documents them), asked with KAS's own read_api token for memberships.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class UserAccessThroughKubectlTest {
    static final String CONFIG_PROJECT = "platform/agents";
    static final JsonMapper JSON = JsonMapper.builder().build();
    static final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @TempDir
    static Path dir;
    static GitHttpServer git;
    static Bridge bridge;
    static Upstream upstream;
    static SelfSignedCert cert;
    static final List<Agent> agents = new ArrayList<>();
    static long asUser;
    static long asAgent;
    static long withoutUserAccess;
    static long neverConnected;

    @BeforeAll
    static void start() throws Exception {
        upstream = new Upstream().handle("/api/v1/pods", ex -> Upstream.send(ex, 200, "application/json",
                "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"items\":[]}".getBytes(StandardCharsets.UTF_8)));
        git = GitHttpServer.start(Files.createDirectories(dir.resolve("git")));
        git.createRepo(CONFIG_PROJECT);
        git.commit(CONFIG_PROJECT, ".gitlab/agents/prod/config.yaml", """
                user_access:
                  access_as:
                    user: {}
                  projects:
                    - id: team/app
                  groups:
                    - id: team/ops
                default_namespace: apps
                """);
        git.commit(CONFIG_PROJECT, ".gitlab/agents/staging/config.yaml", """
                user_access:
                  access_as:
                    agent: {}
                  projects:
                    - id: team/app
                """);
        git.commit(CONFIG_PROJECT, ".gitlab/agents/ci-only/config.yaml", "ci_access:\n  projects:\n    - id: team/app\n");
        git.commit(CONFIG_PROJECT, ".gitlab/agents/idle/config.yaml", "user_access:\n  access_as: {agent: {}}\n  projects:\n    - id: team/app\n");
        cert = SelfSignedCert.create(dir, "kas");
        Path kasToken = Files.writeString(dir.resolve("gitlab-api-token"), "kas-read-api-token\n");
        bridge = Bridge.withUserAccess(Files.createDirectories(dir.resolve("kas")), cert,
                new KasConfig.AgentConfiguration(git.urlTemplate(), null, null, "1s", null, null, null), kasToken);
        gitlab(bridge.gitlab);
        asUser = connect("prod");
        asAgent = connect("staging");
        withoutUserAccess = connect("ci-only");
        neverConnected = bridge.register(CONFIG_PROJECT, "idle").agent().id();
        var configs = bridge.kas.module(ConfigServerModule.class).configurations();
        Eventually.until(Duration.ofSeconds(60), () -> "configurations loaded:\n" + bridge.logText(),
                () -> List.of(asUser, asAgent, withoutUserAccess, neverConnected).stream().allMatch(id -> configs.current(id).isPresent()));
    }

    /** GitLab's side: projects, groups, users with their roles and tokens, and KAS's own read_api token. */
    static void gitlab(GitLabApiStandIn gitlab) {
        gitlab.addProject(100, CONFIG_PROJECT);
        gitlab.addProject(501, "team/app");
        gitlab.addProject(502, "other/app");
        gitlab.addGroup(600, "team");
        gitlab.addGroup(601, "team/ops");
        gitlab.addUser(new User(900, "kas-bot", "active"));
        gitlab.addPersonalAccessToken(new PersonalAccessToken("kas-read-api-token", 1, 900, List.of("read_api")));
        person(gitlab, 42, "alice", "team/app", 30, "alice-pat");
        gitlab.addPersonalAccessToken(new PersonalAccessToken("alice-read-user", 3, 42, List.of("read_user")));
        person(gitlab, 43, "bob", "team/app", 20, "bob-pat");
        person(gitlab, 44, "carol", "team", 40, "carol-pat");
        person(gitlab, 45, "dave", "other/app", 30, "dave-pat");
        person(gitlab, 46, "erin", "team/app", 30, "erin-pat");
        person(gitlab, 47, "frank", "team/app", 30, "frank-pat");
    }

    static void person(GitLabApiStandIn gitlab, long id, String username, String memberOf, int level, String token) {
        gitlab.addUser(new User(id, username, "active"));
        gitlab.addMember(memberOf, id, level);
        gitlab.addPersonalAccessToken(new PersonalAccessToken(token, id * 10, id, List.of("k8s_proxy")));
    }

    static long connect(String name) throws Exception {
        var reg = bridge.register(CONFIG_PROJECT, name);
        agents.add(bridge.startAgent(reg.token(), upstream.url()));
        bridge.awaitConnected(reg.agent().id());
        return reg.agent().id();
    }

    @AfterAll
    static void stop() {
        agents.forEach(Agent::close);
        Programs.closeAll(bridge, upstream, git);
    }

    record Run(int exit, String out, String err) {}

    /** Real kubectl with a kubeconfig whose user token is {@code token} (a person's: {@code pat:<agent id>:<pat>}). */
    static Run kubectl(String token, String... args) throws Exception {
        Path kubeconfig = Kubeconfigs.write(Files.createTempFile(dir, "kubeconfig", ""), bridge.proxyUrl(), cert,
                CONFIG_PROJECT + ":agent", "gitlab-user", token);
        var cmd = new ArrayList<>(List.of("kubectl", "--kubeconfig", kubeconfig.toString()));
        cmd.addAll(List.of(args));
        var pb = new ProcessBuilder(cmd);
        pb.environment().put("HOME", dir.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), out, err);
    }

    static Run pods(long agentId, String pat) throws Exception {
        return kubectl("pat:" + agentId + ":" + pat, "get", "--raw", "/k8s-proxy/api/v1/pods");
    }

    static Upstream.Seen lastSeen() {
        return upstream.seen.getLast();
    }

    @Test
    void developerOfListedProjectReachesTheClusterAsTheirGitLabUser() throws Exception {
        Run run = pods(asUser, "alice-pat");

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("PodList");
        var h = lastSeen().headers();
        assertThat(h.get("Impersonate-user")).containsExactly("gitlab:user:alice");
        assertThat(h.get("Impersonate-group")).containsExactly("gitlab:user", "gitlab:project_role:501:guest",
                "gitlab:project_role:501:planner", "gitlab:project_role:501:reporter", "gitlab:project_role:501:developer");
        assertThat(h.get("Impersonate-extra-agent.gitlab.com%2fid")).containsExactly(String.valueOf(asUser));
        assertThat(h.get("Impersonate-extra-agent.gitlab.com%2fusername")).containsExactly("alice");
        assertThat(h.get("Impersonate-extra-agent.gitlab.com%2faccess_type")).containsExactly("personal_access_token");
        assertThat(h.get("Impersonate-extra-agent.gitlab.com%2fconfig_project_id")).containsExactly("100");
        assertThat(h.get("Authorization")).containsExactly("Bearer agent-sa-token");
        assertThat(bridge.logText()).doesNotContain("alice-pat", "kas-read-api-token");
    }

    @Test
    void maintainerOfAListedGroupsAncestorGetsTheRolesOfEveryListedEntryBelowIt() throws Exception {
        Run run = pods(asUser, "carol-pat");

        assertThat(run.exit()).as(run.err()).isZero();
        // carol is a Maintainer of group team: GitLab counts it in team/app (project 501) and team/ops (group 601).
        assertThat(lastSeen().headers().get("Impersonate-group")).containsExactly("gitlab:user", "gitlab:project_role:501:guest",
                "gitlab:project_role:501:planner", "gitlab:project_role:501:reporter", "gitlab:project_role:501:developer",
                "gitlab:project_role:501:maintainer", "gitlab:group_role:601:guest",
                "gitlab:group_role:601:planner", "gitlab:group_role:601:reporter", "gitlab:group_role:601:developer",
                "gitlab:group_role:601:maintainer");
    }

    @Test
    void accessAsAgentSendsNoImpersonation() throws Exception {
        Run run = pods(asAgent, "alice-pat");

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(lastSeen().headers().keySet()).noneMatch(k -> k.toLowerCase().startsWith("impersonate-"));
        assertThat(lastSeen().headers().get("Authorization")).containsExactly("Bearer agent-sa-token");
    }

    @Test
    void reporterGets403AndNothingReachesTheCluster() throws Exception {
        int before = upstream.seen.size();
        Run run = pods(asUser, "bob-pat");

        assertThat(run.exit()).isNotZero();
        assertThat(run.err()).contains("Forbidden", "bob", "Developer role", "user_access");
        assertThat(upstream.seen).hasSize(before);
    }

    @Test
    void developerOfAProjectNotListedGets403() throws Exception {
        int before = upstream.seen.size();
        Run run = pods(asUser, "dave-pat");

        assertThat(run.exit()).isNotZero();
        assertThat(run.err()).contains("Forbidden", "dave", "1 projects and 1 groups under user_access of agent " + asUser,
                ".gitlab/agents/prod/config.yaml of " + CONFIG_PROJECT);
        assertThat(upstream.seen).hasSize(before);
    }

    @Test
    void tokenWithoutK8sProxyScopeGets403NamingTheScope() throws Exception {
        int before = upstream.seen.size();
        Run run = pods(asUser, "alice-read-user");

        assertThat(run.exit()).isNotZero();
        assertThat(run.err()).contains("Forbidden", "scopes [read_user] but not k8s_proxy").doesNotContain("alice-read-user");
        assertThat(upstream.seen).hasSize(before);
    }

    @Test
    void revokedOrUnknownTokenGets401() throws Exception {
        bridge.gitlab.addPersonalAccessToken(new PersonalAccessToken("soon-revoked", 99, 42, List.of("k8s_proxy")));
        bridge.gitlab.revokePersonalAccessToken("soon-revoked");
        int before = upstream.seen.size();

        for (String token : List.of("soon-revoked", "never-issued")) {
            Run run = pods(asUser, token);
            assertThat(run.exit()).isNotZero();
            assertThat(run.err()).containsAnyOf("Unauthorized", "must be logged in").doesNotContain(token);
        }
        assertThat(upstream.seen).hasSize(before);
        assertThat(bridge.logText()).doesNotContain("soon-revoked", "never-issued");
    }

    @Test
    void agentWithoutUserAccessGets403SayingHowToAddIt() throws Exception {
        var r = raw("pat:" + withoutUserAccess + ":alice-pat");

        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(message(r)).contains("has no user_access in .gitlab/agents/ci-only/config.yaml of " + CONFIG_PROJECT, "add user_access");
    }

    @Test
    void agentThatIsNotConnectedGets503() throws Exception {
        var r = raw("pat:" + neverConnected + ":alice-pat");

        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(JSON.readTree(r.body()).path("kind").asString()).isEqualTo("Status");
    }

    @Test
    void malformedPatTokenGets401SayingTheForm() throws Exception {
        for (String token : List.of("pat:prod:alice-pat", "pat:" + asUser, "pat:" + asUser + ":")) {
            var r = raw(token);
            assertThat(r.statusCode()).as(token).isEqualTo(401);
            assertThat(message(r)).contains("pat:<agent id>:<personal access token>");
        }
    }

    @Test
    void clientImpersonationHeadersStayRefusedForPeople() throws Exception {
        int before = upstream.seen.size();
        Run run = kubectl("pat:" + asAgent + ":alice-pat", "--as=system:admin", "get", "--raw", "/k8s-proxy/api/v1/pods");

        assertThat(run.exit()).isNotZero();
        assertThat(run.err()).contains("impersonation headers");
        assertThat(upstream.seen).hasSize(before);
    }

    @Test
    void secondRequestWithinTheCacheTimeAsksGitLabNothing() throws Exception {
        assertThat(pods(asUser, "erin-pat").exit()).isZero();
        int calls = bridge.gitlab.requests().size();

        Run again = pods(asUser, "erin-pat");

        assertThat(again.exit()).as(again.err()).isZero();
        assertThat(bridge.gitlab.requests()).hasSize(calls);
    }

    @Test
    void userAgentsListsTheAgentsWhoseUserAccessAdmitsThePerson() throws Exception {
        var r = userAgents("frank-pat");

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode body = JSON.readTree(r.body());
        assertThat(body.path("k8s_proxy_url").asString()).isEqualTo(bridge.proxyUrl());
        var ids = new ArrayList<Long>();
        body.path("agents").forEach(a -> ids.add(a.path("id").asLong()));
        assertThat(ids).containsExactlyInAnyOrder(asUser, asAgent, neverConnected);
        JsonNode prod = body.path("agents").valueStream().filter(a -> a.path("id").asLong() == asUser).findFirst().orElseThrow();
        assertThat(prod.path("config_project").asString()).isEqualTo(CONFIG_PROJECT);
        assertThat(prod.path("name").asString()).isEqualTo("prod");
        assertThat(prod.path("default_namespace").asString()).isEqualTo("apps");

        assertThat(JSON.readTree(userAgents("dave-pat").body()).path("agents")).isEmpty();
        assertThat(userAgents("never-issued").statusCode()).isEqualTo(401);
        assertThat(userAgents("alice-read-user").statusCode()).isEqualTo(403);
    }

    static HttpResponse<String> userAgents(String pat) throws Exception {
        var r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + bridge.kas.apiPort() + "/api/v1/user/agents"))
                .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + pat).build();
        return client.send(r, HttpResponse.BodyHandlers.ofString());
    }

    /** The same request kubectl makes, from the JDK client, for the Status's exact code and message. */
    static HttpResponse<String> raw(String token) throws Exception {
        var tls = Bridge.trusting(cert);
        var https = HttpClient.newBuilder().sslContext(tls).version(HttpClient.Version.HTTP_1_1).build();
        var r = HttpRequest.newBuilder(URI.create(bridge.proxyUrl() + "/api/v1/pods")).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + token).build();
        return https.send(r, HttpResponse.BodyHandlers.ofString());
    }

    static String message(HttpResponse<String> r) {
        return JSON.readTree(r.body()).path("message").asString();
    }
}
