package dev.kastor.bridge.statuspage.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.Bridge;
import dev.kastor.bridge.GitHttpServer;
import dev.kastor.bridge.config.server.ConfigServerModule;
import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.bridge.statuspage.StatusPageDefaults;
import dev.kastor.testing.Eventually;
import dev.kastor.testing.GitLabApiStandIn;
import dev.kastor.testing.GitLabApiStandIn.PersonalAccessToken;
import dev.kastor.testing.GitLabApiStandIn.User;
import dev.kastor.testing.Programs;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
 * Signing in to KAS's status page, against a real KAS: agents' {@code user_access} from a real Git server, GitLab as
 * the API stand-in (users, their personal access tokens, memberships). A person sees the agents user access admits
 * them to, an operator every agent; cookies are HttpOnly, Secure and SameSite=Strict; actions need the session's CSRF
 * token; tokens are never echoed or logged; a host that keeps guessing is slowed down.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class StatusPageSignInTest {
    static final String CONFIG_PROJECT = "platform/agents";
    static final String OPERATOR_TOKEN = "operator-token-0123456789abcdef0123456789";
    static final JsonMapper JSON = JsonMapper.builder().build();
    static final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @TempDir
    static Path dir;
    static GitHttpServer git;
    static Bridge bridge;
    static long prod;
    static long staging;

    @BeforeAll
    static void start() throws Exception {
        git = GitHttpServer.start(Files.createDirectories(dir.resolve("git")));
        git.createRepo(CONFIG_PROJECT);
        git.commit(CONFIG_PROJECT, ".gitlab/agents/prod/config.yaml", "user_access:\n  access_as: {agent: {}}\n  projects:\n    - id: team/app\n");
        git.commit(CONFIG_PROJECT, ".gitlab/agents/staging/config.yaml", "user_access:\n  access_as: {agent: {}}\n  projects:\n    - id: other/app\n");
        Path kasToken = Files.writeString(dir.resolve("gitlab-api-token"), "kas-read-api-token\n");
        Path operatorToken = Files.writeString(dir.resolve("status-operator-token"), OPERATOR_TOKEN + "\n");
        bridge = Bridge.setup(Files.createDirectories(dir.resolve("kas")))
                .agentConfiguration(new KasConfig.AgentConfiguration(git.urlTemplate(), null, null, "1s", null, null, null))
                .apiTokenFile(kasToken)
                .statusPage(new KasConfig.StatusPage(operatorToken.toString(), null))
                .start();
        gitlab(bridge.gitlab);
        prod = bridge.register(CONFIG_PROJECT, "prod").agent().id();
        staging = bridge.register(CONFIG_PROJECT, "staging").agent().id();
        var configs = bridge.kas.module(ConfigServerModule.class).configurations();
        Eventually.until(Duration.ofSeconds(60), () -> "configurations loaded:\n" + bridge.logText(),
                () -> configs.current(prod).isPresent() && configs.current(staging).isPresent());
    }

    static void gitlab(GitLabApiStandIn gitlab) {
        gitlab.addProject(100, CONFIG_PROJECT);
        gitlab.addProject(501, "team/app");
        gitlab.addProject(502, "other/app");
        gitlab.addUser(new User(900, "kas-bot", "active"));
        gitlab.addPersonalAccessToken(new PersonalAccessToken("kas-read-api-token", 1, 900, List.of("read_api")));
        gitlab.addUser(new User(42, "alice", "active"));
        gitlab.addMember("team/app", 42, 30);
        gitlab.addPersonalAccessToken(new PersonalAccessToken("alice-pat", 420, 42, List.of("k8s_proxy")));
        gitlab.addUser(new User(46, "erin", "active"));
        gitlab.addPersonalAccessToken(new PersonalAccessToken("erin-pat", 460, 46, List.of("k8s_proxy")));
    }

    @AfterAll
    static void stop() {
        Programs.closeAll(bridge, git);
    }

    record Answer(int status, java.net.http.HttpHeaders headers, String body) {
        JsonNode json() {
            return JSON.readTree(body);
        }

        /** The session cookie's value from Set-Cookie. */
        String sessionCookie() {
            String set = headers.firstValue("Set-Cookie").orElseThrow();
            return set.substring(0, set.indexOf(';'));
        }
    }

    static Answer get(String path, String cookie) throws Exception {
        var b = HttpRequest.newBuilder(URI.create(bridge.apiUrl() + path)).GET();
        if (cookie != null) b.header("Cookie", cookie);
        return send(b);
    }

    static Answer post(String path, String cookie, String form, String csrfHeader) throws Exception {
        var b = HttpRequest.newBuilder(URI.create(bridge.apiUrl() + path))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form));
        if (cookie != null) b.header("Cookie", cookie);
        if (csrfHeader != null) b.header(StatusPageDefaults.CSRF_HEADER, csrfHeader);
        return send(b);
    }

    static Answer signIn(String token) throws Exception {
        return post(StatusPageDefaults.SIGN_IN_PATH, null, "token=" + URLEncoder.encode(token, StandardCharsets.UTF_8), null);
    }

    static Answer send(HttpRequest.Builder b) throws Exception {
        var r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.headers(), r.body());
    }

    static List<String> agentNames(String cookie) throws Exception {
        var a = get(StatusPageDefaults.AGENTS_PATH, cookie);
        assertThat(a.status()).as(a.body()).isEqualTo(200);
        return a.json().path("agents").valueStream().map(n -> n.path("name").asString()).sorted().toList();
    }

    @Test
    void operatorSignsInWithASecureSessionCookieAndSeesEveryAgent() throws Exception {
        var in = signIn(OPERATOR_TOKEN);

        assertThat(in.status()).as(in.body()).isEqualTo(303);
        assertThat(in.headers().firstValue("Location")).hasValue(StatusPageDefaults.PAGE_PATH);
        assertThat(in.headers().firstValue("Set-Cookie").orElseThrow())
                .startsWith(StatusPageDefaults.COOKIE + "=")
                .contains("; HttpOnly").contains("; Secure").contains("; SameSite=Strict").contains("; Path=/").contains("; Max-Age=28800");
        assertThat(agentNames(in.sessionCookie())).containsExactly("prod", "staging");
        var session = get(StatusPageDefaults.SESSION_PATH, in.sessionCookie()).json();
        assertThat(session.path("kind").asString()).isEqualTo("operator");
        assertThat(session.path("csrf_token").asString()).hasSizeGreaterThanOrEqualTo(43);
    }

    @Test
    void personSeesOnlyTheAgentsTheirUserAccessAdmits() throws Exception {
        var alice = signIn("alice-pat");
        var erin = signIn("erin-pat");

        assertThat(alice.status()).as(alice.body()).isEqualTo(303);
        assertThat(agentNames(alice.sessionCookie())).containsExactly("prod");
        assertThat(get(StatusPageDefaults.SESSION_PATH, alice.sessionCookie()).json().path("username").asString()).isEqualTo("alice");
        assertThat(erin.status()).as(erin.body()).isEqualTo(303);
        assertThat(agentNames(erin.sessionCookie())).isEmpty();
    }

    @Test
    void refusedTokenIs401AndNeverEchoedOrLogged() throws Exception {
        String guess = "glpat-not-a-real-token-4711";

        var in = signIn(guess);

        assertThat(in.status()).isEqualTo(401);
        assertThat(in.headers().firstValue("Set-Cookie")).isEmpty();
        assertThat(in.json().path("message").asString()).contains("personal access token").contains("operator token").doesNotContain(guess);
        assertThat(bridge.logText()).doesNotContain(guess).doesNotContain(OPERATOR_TOKEN).doesNotContain("alice-pat");
    }

    @Test
    void tokenWithoutTheK8sProxyScopeIsRefusedSayingSo() throws Exception {
        bridge.gitlab.addUser(new User(48, "grace", "active"));
        bridge.gitlab.addMember("team/app", 48, 30);
        bridge.gitlab.addPersonalAccessToken(new PersonalAccessToken("grace-read-user", 480, 48, List.of("read_user")));

        var in = signIn("grace-read-user");

        assertThat(in.status()).isEqualTo(401);
        assertThat(in.json().path("message").asString()).contains("k8s_proxy").doesNotContain("grace-read-user");
    }

    @Test
    void forgedOrMissingCookieGetsNothing() throws Exception {
        var forged = get(StatusPageDefaults.AGENTS_PATH, StatusPageDefaults.COOKIE + "=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        var none = get(StatusPageDefaults.AGENTS_PATH, null);

        assertThat(forged.status()).isEqualTo(401);
        assertThat(forged.body()).doesNotContain("prod");
        assertThat(none.status()).isEqualTo(401);
        assertThat(get(StatusPageDefaults.SESSION_PATH, null).status()).isEqualTo(401);
    }

    @Test
    void signOutNeedsTheSessionsCsrfTokenAndThenEndsIt() throws Exception {
        var in = signIn(OPERATOR_TOKEN);
        String cookie = in.sessionCookie();
        String csrf = get(StatusPageDefaults.SESSION_PATH, cookie).json().path("csrf_token").asString();
        String otherSessionsCsrf = get(StatusPageDefaults.SESSION_PATH, signIn(OPERATOR_TOKEN).sessionCookie()).json().path("csrf_token").asString();

        var withoutToken = post(StatusPageDefaults.SIGN_OUT_PATH, cookie, "", null);
        var withAnotherSessionsToken = post(StatusPageDefaults.SIGN_OUT_PATH, cookie, "", otherSessionsCsrf);
        assertThat(withoutToken.status()).isEqualTo(403);
        assertThat(withAnotherSessionsToken.status()).isEqualTo(403);
        assertThat(get(StatusPageDefaults.AGENTS_PATH, cookie).status()).isEqualTo(200);

        var out = post(StatusPageDefaults.SIGN_OUT_PATH, cookie, StatusPageDefaults.CSRF_FIELD + "=" + csrf, null);

        assertThat(out.status()).as(out.body()).isEqualTo(303);
        assertThat(out.headers().firstValue("Set-Cookie").orElseThrow()).contains("Max-Age=0");
        assertThat(get(StatusPageDefaults.AGENTS_PATH, cookie).status()).isEqualTo(401);
    }

    @Test
    void getIsNoWayToSignIn() throws Exception {
        assertThat(get(StatusPageDefaults.SIGN_IN_PATH + "?token=" + OPERATOR_TOKEN, null).status()).isEqualTo(405);
        assertThat(post(StatusPageDefaults.SIGN_IN_PATH, null, "", null).status()).isEqualTo(400);
    }

    @Test
    void pageAndItsFilesCarryTheSecurityHeadersAndTheFilesAreKeptUnderTheirHash() throws Exception {
        var signIn = client.send(HttpRequest.newBuilder(URI.create(bridge.apiUrl() + StatusPageDefaults.PAGE_PATH)).build(),
                HttpResponse.BodyHandlers.ofString());
        var style = java.util.regex.Pattern.compile("href=\"(/status/static/status\\.([0-9a-f]{12})\\.css)\"").matcher(signIn.body());
        assertThat(style.find()).as(signIn.body()).isTrue();

        var css = client.send(HttpRequest.newBuilder(URI.create(bridge.apiUrl() + style.group(1))).build(), HttpResponse.BodyHandlers.ofByteArray());

        assertThat(signIn.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(v -> assertThat(v).contains("default-src 'none'"));
        assertThat(signIn.headers().firstValue("X-Frame-Options")).hasValue("DENY");
        assertThat(signIn.headers().firstValue("Cache-Control")).hasValue("no-store");
        assertThat(css.statusCode()).isEqualTo(200);
        assertThat(css.headers().firstValue("Content-Type")).hasValue("text/css; charset=utf-8");
        assertThat(css.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        assertThat(css.headers().firstValue("Cache-Control")).hasValue("public, max-age=31536000, immutable");
        assertThat(java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(css.body())))
                .as("the name holds the content's hash, so a changed file gets a new name").startsWith(style.group(2));
    }
}
