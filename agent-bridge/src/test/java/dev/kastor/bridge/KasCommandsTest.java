package dev.kastor.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.testing.Eventually;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** kastor-kas agent register|list|revoke as a user runs them (in-process, with captured stdout/stderr). */
class KasCommandsTest {
    @TempDir
    Path dir;

    record Run(int exit, String out, String err) {}

    Run kas(String... args) {
        Cli.Run r = Cli.kas(args);
        return new Run(r.exit(), r.out(), r.err());
    }

    Path config() throws Exception {
        String key = Base64.getEncoder().encodeToString(new byte[32]);
        Path c = dir.resolve("kas.yaml");
        Files.writeString(c, "gitlab: {url: https://gitlab.example.com}\napi_secret_key: " + key + "\nprivate_api_secret_key: " + key + "\n");
        return c;
    }

    @Test
    void registerPrintsTheTokenOnceAndStoresOnlyItsHash() throws Exception {
        Path config = config();
        Run r = kas("agent", "register", "--config", config.toString(), "--config-project", "group/project", "--name", "prod");

        assertThat(r.exit()).as(r.err()).isZero();
        String token = r.out().trim();
        assertThat(token).startsWith("kastor_agent_").hasSizeGreaterThan(40);
        String stored = Files.readString(dir.resolve("agents.json"));
        assertThat(stored).contains("group/project").doesNotContain(token).doesNotContain(token.substring(13));

        Run list = kas("agent", "list", "--config", config.toString());
        assertThat(list.out()).contains("group/project").contains("prod").contains("active").doesNotContain(token);
    }

    @Test
    void revokedAgentsAreListedAsRevokedAndCannotBeRevokedTwice() throws Exception {
        Path config = config();
        kas("agent", "register", "--config", config.toString(), "--config-project", "g/p", "--name", "a");

        assertThat(kas("agent", "revoke", "--config", config.toString(), "1").exit()).isZero();
        assertThat(kas("agent", "list", "--config", config.toString()).out()).contains("revoked");
        Run again = kas("agent", "revoke", "--config", config.toString(), "1");
        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.err()).contains("no active agent with id 1");
    }

    @Test
    void registeringTheSameAgentTwiceFailsWithWhatToDo() throws Exception {
        Path config = config();
        kas("agent", "register", "--config", config.toString(), "--config-project", "g/p", "--name", "a");
        Run r = kas("agent", "register", "--config", config.toString(), "--config-project", "g/p", "--name", "a");

        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("already exists").contains("kastor-kas agent revoke 1");
    }

    @Test
    void anAgentCanTakeGitLabsIdOnce() throws Exception {
        Path config = config();
        assertThat(kas("agent", "register", "--config", config.toString(), "--config-project", "g/p", "--name", "a", "--id", "42").exit()).isZero();
        assertThat(kas("agent", "list", "--config", config.toString()).out()).contains("42 ");
        Run taken = kas("agent", "register", "--config", config.toString(), "--config-project", "g/p", "--name", "b", "--id", "42");
        assertThat(taken.exit()).isEqualTo(1);
        assertThat(taken.err()).contains("agent id 42 is already taken");
    }

    @Test
    void withoutIdAnAgentGetsTheHighestIdPlusOneAndNoIdIsGivenTwice() throws Exception {
        Path config = config();
        assertThat(register(config, "a")).startsWith("agent 1 ");
        assertThat(kas("agent", "register", "--config", config.toString(), "--config-project", "g/p", "--name", "b", "--id", "42").exit()).isZero();
        assertThat(register(config, "c")).startsWith("agent 43 ");
        assertThat(kas("agent", "revoke", "--config", config.toString(), "43").exit()).isZero();
        assertThat(register(config, "d")).as("a revoked agent's id is not given again").startsWith("agent 44 ");
    }

    @Test
    void registerHelpSaysWhichIdAnAgentGetsWithoutId() {
        Run r = kas("agent", "register", "--help");

        String help = r.out().replaceAll("\\s+", " ");
        assertThat(help).contains("Without --id: the highest id in agents_file plus one, revoked agents included (1, 2, ... on a new KAS;"
                + " 43 after --id 42), so no id is given twice");
    }

    /** Registers g/p:name without --id and returns what it says on stderr ("agent ID (g/p:name) registered; ..."). */
    private String register(Path config, String name) {
        Run r = kas("agent", "register", "--config", config.toString(), "--config-project", "g/p", "--name", name);
        assertThat(r.exit()).as(r.err()).isZero();
        return r.err();
    }

    @Test
    void serveRefusesABadSecretAtStart() throws Exception {
        Path c = dir.resolve("bad.yaml");
        Files.writeString(c, "gitlab: {url: https://g}\napi_secret_key: c2hvcnQ=\nprivate_api_secret_key: c2hvcnQ=\n");
        Run r = kas("serve", "--config", c.toString());

        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("api_secret_key decodes to 5 bytes, not 32");
    }

    @Test
    void versionIsPrinted() {
        Run r = kas("--version");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).startsWith("kastor-kas ");
    }

    @Test
    void listWithApiShowsEachAgentsVersionAndLastSeenFromARunningKas() throws Exception {
        Path config = config();
        try (var bridge = new Bridge(dir); var apiServer = new Upstream()) {
            var reg = bridge.register("group/project", "prod");
            try (var agent = bridge.startAgent(bridge.grpcUrl(), null, reg.token(), apiServer.url(),
                    dev.kastor.bridge.registration.agent.RegistrationSettings.defaults())) {
                Run list = Eventually.value(java.time.Duration.ofSeconds(30), () -> "the agent listed as registered (no more placeholders)",
                        () -> kas("agent", "list", "--config", config.toString(), "--api", bridge.apiUrl().toString()), run -> !run.out().contains(" - "));

                assertThat(list.exit()).as(list.err()).isZero();
                assertThat(list.out()).contains("VERSION").contains("LAST SEEN");
                assertThat(list.out().lines().filter(l -> l.contains("prod")).findFirst().orElseThrow())
                        .contains(" test ").contains(" unknown ").endsWith(" 1");
                assertThat(list.out() + list.err()).doesNotContain(Bridge.SECRET);
            }
        }
    }

    @Test
    void listWithAnUnreachableApiStillListsTheStore() throws Exception {
        Path config = config();
        kas("agent", "register", "--config", config.toString(), "--config-project", "group/project", "--name", "prod");

        Run list = kas("agent", "list", "--config", config.toString(), "--api", "http://127.0.0.1:1");

        assertThat(list.exit()).isZero();
        assertThat(list.out()).contains("prod");
        assertThat(list.err()).startsWith("kastor-kas: cannot reach KAS at http://127.0.0.1:1/api/v1/agents (ConnectException")
                .doesNotContain("null");
    }
}
