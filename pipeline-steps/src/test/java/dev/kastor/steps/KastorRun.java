package dev.kastor.steps;

import dev.kastor.steps.cli.Context;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Runs one {@code kastor} command line in-process, exactly as {@code main} would but with its own environment,
 * streams, working directory and HOME: nothing of the test JVM's environment (a developer's ~/.docker/config.json,
 * a CI runner's CI_* variables) can leak into what is being tested.
 */
public final class KastorRun {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Path workDir;
    private final Path home;
    private final Map<String, String> env = new LinkedHashMap<>();
    private byte[] stdin = new byte[0];

    private KastorRun(Path workDir, Path home) {
        this.workDir = workDir;
        this.home = home;
        // Credential helpers are looked up on PATH; keep the system dirs only, so helpers under a user's HOME cannot apply.
        env.put("PATH", "/usr/local/bin:/usr/bin:/bin");
    }

    /** A run in {@code workDir} with HOME {@code workDir/home} (created by the command only if it needs it). */
    public static KastorRun in(Path workDir) {
        return new KastorRun(workDir, workDir.resolve("home"));
    }

    public KastorRun env(String name, String value) {
        env.put(name, value);
        return this;
    }

    public KastorRun env(Map<String, String> more) {
        env.putAll(more);
        return this;
    }

    public KastorRun stdin(String text) {
        this.stdin = text.getBytes(StandardCharsets.UTF_8);
        return this;
    }

    /** Raw bytes on stdin, for input that is not UTF-8 text. */
    public KastorRun stdin(byte[] bytes) {
        this.stdin = bytes.clone();
        return this;
    }

    public Result run(String... args) {
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        int exit;
        try (var outStream = new PrintStream(out, true, StandardCharsets.UTF_8);
                var errStream = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            var ctx = new Context(Map.copyOf(env), outStream, errStream, new ByteArrayInputStream(stdin), workDir, home);
            exit = Kastor.run(ctx, args);
        }
        return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8), List.of(args));
    }

    /** What a run left: exit code, stdout, stderr; {@link #toString()} shows all three for assertion messages. */
    public record Result(int exit, String out, String err, List<String> args) {
        public JsonNode json() {
            try {
                return JSON.readTree(out);
            } catch (RuntimeException e) {
                throw new AssertionError("stdout is not JSON: " + this, e);
            }
        }

        /**
         * Fails if stdout or stderr holds any of the secrets, or the base64 {@code user:secret} a Basic auth header
         * carries (an error message quoting the header would leak the password just the same).
         */
        public void assertLeaksNone(String user, String... secrets) {
            for (String secret : secrets) {
                org.assertj.core.api.Assertions.assertThat(out).as("stdout of %s", this).doesNotContain(secret);
                org.assertj.core.api.Assertions.assertThat(err).as("stderr of %s", this).doesNotContain(secret);
                String basic = java.util.Base64.getEncoder().encodeToString((user + ":" + secret).getBytes(StandardCharsets.UTF_8));
                org.assertj.core.api.Assertions.assertThat(out + err).as("output of %s", this).doesNotContain(basic);
            }
        }

        /** Lines of stderr that are not blank. */
        public List<String> errLines() {
            var lines = new ArrayList<String>();
            for (String l : err.split("\\R")) if (!l.isBlank()) lines.add(l);
            return lines;
        }

        @Override
        public String toString() {
            return "kastor " + String.join(" ", args) + "\n  exit " + exit + "\n  stdout: " + out.strip() + "\n  stderr: " + err.strip();
        }
    }
}
