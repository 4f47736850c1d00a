package dev.kastor.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every error of a program starts with its name, whichever subcommand failed and however: {@code kastor-kas: …}. */
class ErrorPrefixTest {
    static final String KEY = Base64.getEncoder().encodeToString(new byte[32]);

    @TempDir
    Path dir;

    @Test
    void kasFailuresOfEverySubcommandStartWithKastorKas() throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.yaml"), "gitlab: {url: https://g}\napi_secret_key: c2hvcnQ=\n");
        assertError(Cli.kas("serve", "--config", bad.toString()), 1, "kastor-kas: api_secret_key decodes to 5 bytes, not 32");
        assertError(Cli.kas("serve", "--config", dir.resolve("missing.yaml").toString()), 1,
                "kastor-kas: cannot read the KAS config " + dir.resolve("missing.yaml") + ": NoSuchFileException");

        Path config = Files.writeString(dir.resolve("kas.yaml"), "gitlab: {url: https://g}\napi_secret_key: " + KEY + "\n");
        assertThat(Cli.kas("agent", "register", "--config", config.toString(), "--config-project", "g/p", "--name", "a", "--id", "42").exit()).isZero();
        assertError(Cli.kas("agent", "register", "--config", config.toString(), "--config-project", "g/p", "--name", "b", "--id", "42"), 1,
                "kastor-kas: agent id 42 is already taken");
        assertError(Cli.kas("agent", "revoke", "--config", config.toString(), "7"), 1, "kastor-kas: no active agent with id 7");
    }

    @Test
    void kasUsageErrorsStartWithKastorKasAndSayWhereHelpIs() {
        var r = assertError(Cli.kas("serve"), 2, "kastor-kas: Missing required option: '--config=<config>'");
        assertThat(r.err()).contains("Try 'kastor-kas serve --help' for more information.").doesNotContain("Usage:");
        assertError(Cli.kas("agent", "revoke", "--config", "kas.yaml", "one"), 2, "kastor-kas: Invalid value for positional parameter at index 0 (ID)");
    }

    @Test
    void agentErrorsStartWithKastorAgent() {
        assertError(Cli.agent("--kas", "grpc://127.0.0.1:1", "--token-env", "KASTOR_TEST_NO_SUCH_VARIABLE"), 1, "kastor-agent: no agent token");
        assertError(Cli.agent("--kas", "grpc://127.0.0.1:1", "--token-file", dir.resolve("missing-token").toString()), 1,
                "kastor-agent: cannot read the agent token file " + dir.resolve("missing-token") + ": NoSuchFileException");
        assertError(Cli.agent("--kas", "grpc://127.0.0.1:1", "--nope"), 2, "kastor-agent: Unknown option: '--nope'");
    }

    @Test
    void anAgentWithNeitherKasNorListenIsAUsageError() {
        assertError(Cli.agent("--token-env", "KASTOR_TEST_NO_SUCH_VARIABLE"), 2, "kastor-agent: give --kas (the agent dials KAS), --listen (KAS dials the agent), or both");
    }

    @Test
    void listenWithoutItsCertificatesSaysWhichAreNeeded() {
        assertError(Cli.agent("--listen", "127.0.0.1:0", "--token-env", "PATH"), 1,
                "kastor-agent: --listen needs --listen-cert, --listen-key and --listen-client-ca");
    }

    /** The run failed with {@code exit}, its first line on stderr starts with {@code first}, and no stderr line names a subcommand or says null. */
    private static Cli.Run assertError(Cli.Run r, int exit, String first) {
        assertThat(r.exit()).as(r.err()).isEqualTo(exit);
        assertThat(r.err()).startsWith(first);
        String program = first.substring(0, first.indexOf(':'));
        for (String line : r.err().lines().toList()) {
            assertThat(line).as("stderr line").matches("(" + program + ": |Try '" + program + ").*").doesNotContain("null");
        }
        return r;
    }
}
