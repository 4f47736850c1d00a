package dev.kastor.steps.kube;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.Bridge;
import dev.kastor.bridge.GitHttpServer;
import dev.kastor.bridge.Upstream;
import dev.kastor.bridge.agentapp.Agent;
import dev.kastor.bridge.config.server.ConfigServerModule;
import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.steps.Kastor;
import dev.kastor.steps.cli.Context;
import dev.kastor.testing.Eventually;
import dev.kastor.testing.GitLabApiStandIn.PersonalAccessToken;
import dev.kastor.testing.GitLabApiStandIn.User;
import dev.kastor.testing.Programs;
import dev.kastor.testing.SelfSignedCert;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kastor kube kubeconfig --user} as a developer uses it: against a real KAS with user access (GitLab stand-in
 * for users, tokens and roles; agents' config files from a real Git server) and a real agent, merged into an existing
 * kubeconfig, then real kubectl through the exec credential plugin ({@code kastor kube token}, run by kubectl).
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class PersonalKubeconfigTest {
    static final String CONFIG_PROJECT = "platform/agents";

    @TempDir
    static Path dir;
    static GitHttpServer git;
    static Bridge bridge;
    static Upstream upstream;
    static Agent agent;
    static SelfSignedCert cert;
    static long prod;

    @BeforeAll
    static void start() throws Exception {
        upstream = new Upstream().handle("/version", ex -> Upstream.send(ex, 200, "application/json",
                "{\"major\":\"1\",\"minor\":\"32\",\"gitVersion\":\"v1.32.0-standin\"}".getBytes(StandardCharsets.UTF_8)));
        git = GitHttpServer.start(Files.createDirectories(dir.resolve("git")));
        git.createRepo(CONFIG_PROJECT);
        git.commit(CONFIG_PROJECT, ".gitlab/agents/prod/config.yaml",
                "user_access:\n  access_as: {agent: {}}\n  projects:\n    - id: team/app\ndefault_namespace: apps\n");
        git.commit(CONFIG_PROJECT, ".gitlab/agents/other/config.yaml",
                "user_access:\n  access_as: {agent: {}}\n  projects:\n    - id: other/app\n");
        cert = SelfSignedCert.create(dir, "kas");
        Path kasToken = Files.writeString(dir.resolve("kas-api-token"), "kas-read-api-token\n");
        bridge = Bridge.withUserAccess(Files.createDirectories(dir.resolve("kas")), cert,
                new KasConfig.AgentConfiguration(git.urlTemplate(), null, null, "1s", null, null, null), kasToken);
        var gitlab = bridge.gitlab;
        gitlab.addProject(100, CONFIG_PROJECT);
        gitlab.addProject(501, "team/app");
        gitlab.addProject(502, "other/app");
        gitlab.addUser(new User(900, "kas-bot", "active"));
        gitlab.addPersonalAccessToken(new PersonalAccessToken("kas-read-api-token", 1, 900, List.of("read_api")));
        gitlab.addUser(new User(42, "alice", "active"));
        gitlab.addMember("team/app", 42, 30);
        gitlab.addPersonalAccessToken(new PersonalAccessToken("glpat-alice", 420, 42, List.of("k8s_proxy")));
        var reg = bridge.register(CONFIG_PROJECT, "prod");
        prod = reg.agent().id();
        long other = bridge.register(CONFIG_PROJECT, "other").agent().id();
        agent = bridge.startAgent(reg.token(), upstream.url());
        bridge.awaitConnected(prod);
        var configs = bridge.kas.module(ConfigServerModule.class).configurations();
        Eventually.until(Duration.ofSeconds(60), () -> "configurations loaded:\n" + bridge.logText(),
                () -> configs.current(prod).isPresent() && configs.current(other).isPresent());
        Files.writeString(dir.resolve("alice-token"), "glpat-alice\n");
    }

    @AfterAll
    static void stop() {
        if (agent != null) agent.close();
        Programs.closeAll(bridge, upstream, git);
    }

    record Result(int exit, String out, String err) {}

    static Result kastor(Map<String, String> env, String... args) {
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        var ctx = new Context(env, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                new ByteArrayInputStream(new byte[0]), dir, dir.resolve("home"));
        int exit = Kastor.run(ctx, args);
        return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** A {@code kastor} that kubectl can run: this JVM's classes, the real command's main. */
    static Path kastorCommand() throws Exception {
        Path script = dir.resolve("bin/kastor");
        Files.createDirectories(script.getParent());
        String java = ProcessHandle.current().info().command().orElseThrow();
        Files.writeString(script, "#!/bin/sh\nexec '" + java + "' -cp '" + System.getProperty("java.class.path") + "' "
                + Kastor.class.getName() + " \"$@\"\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return script;
    }

    static Result kubectl(Path kubeconfig, String... args) throws Exception {
        var command = new java.util.ArrayList<>(List.of("kubectl", "--kubeconfig", kubeconfig.toString()));
        command.addAll(List.of(args));
        var p = new ProcessBuilder(command).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), out, err);
    }

    static Map<String, String> env(String kubeconfig) {
        var env = new HashMap<String, String>();
        env.put("KASTOR_KAS_API_URL", "http://127.0.0.1:" + bridge.kas.apiPort());
        env.put("KUBECONFIG", kubeconfig);
        return env;
    }

    @Test
    void aDevelopersKubeconfigIsMergedAndKubectlGetsTheTokenFromKastor() throws Exception {
        Path kubeconfig = dir.resolve("home/.kube/config");
        Files.createDirectories(kubeconfig.getParent());
        Files.writeString(kubeconfig, """
                apiVersion: v1
                kind: Config
                clusters: [{name: kind-dev, cluster: {server: "https://127.0.0.1:6443"}}]
                users: [{name: kind-dev, user: {token: dev-token}}]
                contexts: [{name: kind-dev, context: {cluster: kind-dev, user: kind-dev}}]
                current-context: kind-dev
                """);

        Result r = kastor(env(kubeconfig + ":" + dir.resolve("unused-second")), "kube", "kubeconfig", "--user", "--token-file", "alice-token",
                "--certificate-authority", cert.certPem().toString(), "--exec-command", kastorCommand().toString(), "--output", "json");

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("\"contexts\":[\"platform/agents:prod\"]", "\"current_context\":\"kind-dev\"");
        String yaml = Files.readString(kubeconfig);
        assertThat(yaml).contains("kind-dev", "dev-token", "--agent-id", "\"" + prod + "\"", dir.resolve("alice-token").toString())
                .doesNotContain("glpat-alice");
        assertThat(r.out() + r.err()).doesNotContain("glpat-alice");

        Result version = kubectl(kubeconfig, "--context", "platform/agents:prod", "version", "-o", "json");
        assertThat(version.exit()).as(version.err()).isZero();
        assertThat(version.out()).contains("v1.32.0-standin");

        Result contexts = kastor(env(kubeconfig.toString()), "kube", "contexts");
        assertThat(contexts.exit()).as(contexts.err()).isZero();
        assertThat(contexts.out()).contains("platform/agents:prod").contains(String.valueOf(prod));
    }

    @Test
    void anEmbeddedTokenWorksWithoutKastorOnThePath() throws Exception {
        Path kubeconfig = dir.resolve("embedded/config");

        Result r = kastor(env(kubeconfig.toString()), "kube", "kubeconfig", "--user", "--token-file", "alice-token", "--embed-token",
                "--certificate-authority", cert.certPem().toString());

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(Files.readString(kubeconfig)).contains("pat:" + prod + ":glpat-alice", "current-context: \"platform/agents:prod\"");
        assertThat(Files.getPosixFilePermissions(kubeconfig)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        Result version = kubectl(kubeconfig, "version", "-o", "json");
        assertThat(version.exit()).as(version.err()).isZero();
        assertThat(version.out()).contains("v1.32.0-standin");
    }

    @Test
    void aTokenKasRefusesLeavesTheKubeconfigAsItWas() throws Exception {
        Path kubeconfig = dir.resolve("refused/config");
        Files.createDirectories(kubeconfig.getParent());
        Files.writeString(kubeconfig, "apiVersion: v1\nkind: Config\ncurrent-context: mine\n");
        Files.writeString(dir.resolve("unknown-token"), "glpat-unknown\n");

        Result r = kastor(env(kubeconfig.toString()), "kube", "kubeconfig", "--user", "--token-file", "unknown-token");

        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("refused to list the agents you may use (401)").doesNotContain("glpat-unknown");
        assertThat(Files.readString(kubeconfig)).isEqualTo("apiVersion: v1\nkind: Config\ncurrent-context: mine\n");
    }

    @Test
    void withoutATokenFileItSaysWhichTokenToMake() {
        Result r = kastor(env(dir.resolve("never").toString()), "kube", "kubeconfig", "--user");

        assertThat(r.exit()).isNotZero();
        assertThat(r.err()).contains("--user needs --token-file FILE", "k8s_proxy scope");
        assertThat(dir.resolve("never")).doesNotExist();
    }
}
