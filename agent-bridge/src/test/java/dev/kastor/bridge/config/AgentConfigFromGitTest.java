package dev.kastor.bridge.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.Bridge;
import dev.kastor.bridge.GitHttpServer;
import dev.kastor.bridge.agentapp.Agent;
import dev.kastor.bridge.config.agent.ConfigAgentModule;
import dev.kastor.bridge.config.server.AgentConfigurations;
import dev.kastor.bridge.config.server.ConfigServerModule;
import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.testing.Eventually;
import dev.kastor.testing.Programs;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * KAS reads agents' config files from a real Git server over HTTP with basic auth (git-http-backend behind lighttpd)
 * and streams them to real agents over gRPC. Each test uses its own agent (its own file) in the one config project.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class AgentConfigFromGitTest {
    static final String PROJECT = "platform/agents";
    static final String USER = "kas-reader";
    static final String PASSWORD = "git-pass-" + Long.toHexString(Double.doubleToLongBits(Math.random()));
    static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    static Path dir;
    static GitHttpServer git;
    static Bridge bridge;
    static final ByteArrayOutputStream agentLogs = new ByteArrayOutputStream();

    @BeforeAll
    static void start() throws Exception {
        git = GitHttpServer.startWithBasicAuth(Files.createDirectories(dir.resolve("git")), USER, PASSWORD);
        git.createRepo(PROJECT);
        git.commit(PROJECT, "README.md", "agents of the platform team\n");
        Path passwordFile = dir.resolve("git-password");
        Files.writeString(passwordFile, PASSWORD + "\n");
        bridge = new Bridge(Files.createDirectories(dir.resolve("kas")), null,
                new KasConfig.AgentConfiguration(git.urlTemplate(), USER, passwordFile.toString(), "1s", null, null, null), null);
    }

    @AfterAll
    static void stop() {
        Programs.closeAll(bridge, git);
    }

    static AgentConfigurations configs() {
        return bridge.kas.module(ConfigServerModule.class).configurations();
    }

    static Agent agent(String name, JsonLog log) throws Exception {
        var reg = bridge.register(PROJECT, name);
        return bridge.startAgent(reg.token(), URI.create("http://127.0.0.1:1"), log);
    }

    static long idOf(String name) {
        return bridge.kas.agents().list().stream().filter(a -> a.name().equals(name)).findFirst().orElseThrow().id();
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        Eventually.until(WAIT, () -> what + "; KAS log:\n" + bridge.logText() + "\nlighttpd:\n" + git.errorLog(), condition::getAsBoolean);
    }

    static Optional<String> agentCommit(Agent agent) {
        return agent.module(ConfigAgentModule.class).current().map(ConfigAgentModule.Applied::commit);
    }

    @Test
    void configChangeInGitReachesTheAgent() throws Exception {
        String first = git.commit(PROJECT, ".gitlab/agents/prod/config.yaml", """
                ci_access:
                  projects:
                    - id: platform/app
                      default_namespace: apps
                gitops: {manifest_projects: [{id: platform/manifests}]}   # GitLab keys Kastor does not read are fine
                """);
        var log = new JsonLog(new PrintStream(agentLogs, true, StandardCharsets.UTF_8), "agent");
        try (Agent agent = agent("prod", log)) {
            await("first config reaches the agent", () -> agentCommit(agent).equals(Optional.of(first)));
            var applied = agent.module(ConfigAgentModule.class).current().orElseThrow();
            assertThat(applied.config().ciAccess().projects()).extracting(AgentConfig.Entry::id).containsExactly("platform/app");
            assertThat(applied.project()).isEqualTo(PROJECT);
            assertThat(log.debug()).isFalse();

            String second = git.commit(PROJECT, ".gitlab/agents/prod/config.yaml", """
                    ci_access:
                      groups:
                        - id: platform
                    observability:
                      logging:
                        level: debug
                    """);

            await("the change reaches the agent", () -> agentCommit(agent).equals(Optional.of(second)));
            var changed = agent.module(ConfigAgentModule.class).current().orElseThrow().config();
            assertThat(changed.ciAccess().groups()).extracting(AgentConfig.Entry::id).containsExactly("platform");
            assertThat(changed.ciAccess().projects()).isEmpty();
            assertThat(log.debug()).as("observability.logging.level debug turns the agent's debug log on").isTrue();
        }
    }

    @Test
    void invalidConfigKeepsLastGoodAndSaysWhy() throws Exception {
        String good = git.commit(PROJECT, ".gitlab/agents/staging/config.yaml", "ci_access:\n  projects:\n    - id: platform/app\n");
        try (Agent agent = agent("staging", JsonLog.quiet())) {
            await("the good config reaches the agent", () -> agentCommit(agent).equals(Optional.of(good)));
            long id = idOf("staging");

            String unknownKind = git.commit(PROJECT, ".gitlab/agents/staging/config.yaml", """
                    ci_access:
                      projects:
                        - id: platform/app
                    access_as:
                      root: {}
                    """);
            await("KAS says what is wrong with the unknown access_as kind", () -> bridge.logText().contains("unknown kind 'root'"));
            String line = logLine(unknownKind, "staging");
            assertThat(line).contains("\"level\":\"warn\"", "\"project\":\"" + PROJECT + "\"", "\"path\":\".gitlab/agents/staging/config.yaml\"",
                    "\"line\":5", "\"kept_commit\":\"" + good + "\"");

            String noUsername = git.commit(PROJECT, ".gitlab/agents/staging/config.yaml", """
                    ci_access:
                      projects:
                        - id: platform/app
                    access_as:
                      impersonate: {groups: [system:masters]}
                    """);
            await("KAS refuses impersonate without a username", () -> logged(noUsername, "staging"));
            assertThat(logLine(noUsername, "staging")).contains("impersonate.username is missing", "\"kept_commit\":\"" + good + "\"");

            String wrongType = git.commit(PROJECT, ".gitlab/agents/staging/config.yaml", "ci_access:\n  projects: [[1, 2]]\n");
            await("KAS says which key has the wrong type", () -> logged(wrongType, "staging"));
            assertThat(logLine(wrongType, "staging")).contains("\"line\":2", "projects");

            String notYaml = git.commit(PROJECT, ".gitlab/agents/staging/config.yaml", "ci_access: {projects: [\n");
            await("KAS says the YAML is broken", () -> logged(notYaml, "staging"));

            assertThat(configs().current(id).orElseThrow().commit()).isEqualTo(good);
            assertThat(agentCommit(agent)).contains(good);
        }
    }

    @Test
    void configAbove128KiBIsRefused() throws Exception {
        String good = git.commit(PROJECT, ".gitlab/agents/big/config.yaml", "default_namespace: small\n");
        try (Agent agent = agent("big", JsonLog.quiet())) {
            await("the good config reaches the agent", () -> agentCommit(agent).equals(Optional.of(good)));
            var big = new StringBuilder("default_namespace: huge\n");
            while (big.length() <= 128 * 1024) big.append("# padding padding padding padding padding padding padding padding\n");
            String tooBig = git.commit(PROJECT, ".gitlab/agents/big/config.yaml", big.toString());

            await("KAS refuses the big file", () -> logged(tooBig, "big"));
            assertThat(logLine(tooBig, "big")).contains("above the limit of 131072 bytes (128 KiB)");
            assertThat(configs().current(idOf("big")).orElseThrow().config().defaultNamespace()).isEqualTo("small");
            assertThat(agent.module(ConfigAgentModule.class).current().orElseThrow().config().defaultNamespace()).isEqualTo("small");
        }
    }

    @Test
    void missingFileIsReportedAndTheAgentGetsNothing() throws Exception {
        try (Agent agent = agent("nofile", JsonLog.quiet())) {
            await("KAS says the file is missing", () -> bridge.logText().contains("create .gitlab/agents/nofile/config.yaml in " + PROJECT));
            assertThat(configs().current(idOf("nofile"))).isEmpty();
            assertThat(agent.module(ConfigAgentModule.class).current()).isEmpty();
        }
    }

    @Test
    void gitPasswordNeverReachesLogs() throws Exception {
        // A KAS with a wrong password fails against the same server: its error must not carry what it sent either.
        String wrong = "wrong-pass-" + Long.toHexString(System.nanoTime());
        Path wrongFile = dir.resolve("wrong-password");
        Files.writeString(wrongFile, wrong);
        Path wrongDir = Files.createDirectories(dir.resolve("kas-wrong"));
        try (var other = new Bridge(wrongDir, null, new KasConfig.AgentConfiguration(git.urlTemplate(), USER, wrongFile.toString(), "1s", null, null,
                null), null)) {
            var reg = other.register(PROJECT, "prod");
            try (Agent a = other.startAgent(reg.token(), URI.create("http://127.0.0.1:1"))) {
                Eventually.until(WAIT, () -> "a Git failure logged:\n" + other.logText(),
                        () -> other.logText().contains("cannot read agent configuration from Git"));
            }
            assertThat(other.logText()).contains(PROJECT).doesNotContain(wrong, basic(USER, wrong));
        }
        git.commit(PROJECT, ".gitlab/agents/leak/config.yaml", "default_namespace: leak\n");
        try (Agent agent = agent("leak", JsonLog.quiet())) {
            await("config loaded", () -> agent.module(ConfigAgentModule.class).current().isPresent());
        }
        assertThat(bridge.logText()).contains("agent configuration loaded").doesNotContain(PASSWORD, basic(USER, PASSWORD));
        assertThat(agentLogs.toString(StandardCharsets.UTF_8)).doesNotContain(PASSWORD, basic(USER, PASSWORD));
        assertThat(bridge.kas.config().toString()).doesNotContain(PASSWORD);
    }

    static boolean logged(String commit, String agent) {
        String path = "\"path\":\".gitlab/agents/" + agent + "/config.yaml\"";
        return bridge.logText().lines().anyMatch(l -> l.contains(commit) && l.contains(path));
    }

    static String basic(String user, String password) {
        return Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    /** The KAS log line about {@code agent}'s file at {@code commit}. */
    static String logLine(String commit, String agent) {
        String path = "\"path\":\".gitlab/agents/" + agent + "/config.yaml\"";
        return bridge.logText().lines().filter(l -> l.contains(commit) && l.contains(path)).findFirst()
                .orElseThrow(() -> new AssertionError("no log line about " + agent + " at " + commit + ":\n" + bridge.logText()));
    }
}
