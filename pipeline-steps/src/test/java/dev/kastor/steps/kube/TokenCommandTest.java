package dev.kastor.steps.kube;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.steps.cli.Context;
import dev.kastor.steps.cli.Errors;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** kastor kube token as kubectl runs it: an ExecCredential on stdout, or a message on stderr that never holds the token. */
class TokenCommandTest {
    @TempDir
    Path dir;

    record Result(int exit, String out, String err) {}

    private Result token(String... args) {
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        var ctx = new Context(Map.of(), new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                new ByteArrayInputStream(new byte[0]), dir, dir.resolve("home"));
        var errors = new Errors(ctx);
        int exit = new CommandLine(new TokenCommand(ctx)).setExecutionExceptionHandler(errors).setParameterExceptionHandler(errors).execute(args);
        return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void printsAnExecCredentialWithThePatTokenOfTheAgent() throws Exception {
        Files.writeString(dir.resolve("gitlab-token"), "glpat-abc123\n");

        Result r = token("--agent-id", "7", "--token-file", "gitlab-token");

        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode credential = JsonMapper.builder().build().readTree(r.out());
        assertThat(credential.path("apiVersion").asString()).isEqualTo("client.authentication.k8s.io/v1");
        assertThat(credential.path("kind").asString()).isEqualTo("ExecCredential");
        assertThat(credential.path("status").path("token").asString()).isEqualTo("pat:7:glpat-abc123");
    }

    @Test
    void aMissingTokenFileSaysWhatToPutInIt() {
        Result r = token("--agent-id", "7", "--token-file", "nowhere");

        assertThat(r.exit()).isNotZero();
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).contains("cannot read the token file " + dir.resolve("nowhere"), "k8s_proxy scope");
    }

    @Test
    void aFileWithMoreThanOneTokenIsRefusedWithoutShowingIt() throws Exception {
        Files.writeString(dir.resolve("two"), "glpat-first glpat-second\n");

        Result r = token("--agent-id", "7", "--token-file", "two");

        assertThat(r.exit()).isNotZero();
        assertThat(r.err()).contains("must hold one GitLab personal access token").doesNotContain("glpat-");
    }
}
