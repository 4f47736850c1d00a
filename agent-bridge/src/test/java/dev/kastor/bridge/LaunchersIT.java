package dev.kastor.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.testing.Eventually;
import dev.kastor.testing.Programs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./kastor-kas} and {@code ./kastor-agent} at the repository root, run as a user runs them, on the jars
 * {@code package} made (this test runs in verify): they find a JDK >= 21 as {@code ./kastor} does, whatever JAVA_HOME
 * says, say so when the jar is not built, and start without JDK 24+'s "restricted method" warning (the jars'
 * manifests enable native access for gRPC's Netty).
 */
class LaunchersIT {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @TempDir
    Path tmp;

    record Run(int exit, String out, String err) {}

    @Test
    void bothLaunchersRunOnAJdk21PlusEvenWhenJavaHomeIsJava17() throws Exception {
        for (String program : List.of("kastor-kas", "kastor-agent")) {
            Run version = run(ROOT.resolve(program), withJava17Home(), "--version");
            assertThat(version.exit()).as(version.err()).isZero();
            assertThat(version.out().strip()).matches(program + " \\d+\\.\\d+\\.\\d+.*");
            assertThat(version.err()).isEmpty();

            Run help = run(ROOT.resolve(program), withJava17Home(), "--help");
            assertThat(help.exit()).as(help.err()).isZero();
            assertThat(help.out()).startsWith("Usage: " + program + " ");
        }
    }

    @Test
    void aJarThatIsNotBuiltIsNamedWithTheBuildCommand() throws Exception {
        Path checkout = Files.createDirectories(tmp.resolve("checkout/scripts")).getParent().toRealPath();
        Files.copy(ROOT.resolve("scripts/find-jdk"), checkout.resolve("scripts/find-jdk"), StandardCopyOption.COPY_ATTRIBUTES);
        for (String program : List.of("kastor-kas", "kastor-agent")) {
            Path launcher = Files.copy(ROOT.resolve(program), checkout.resolve(program), StandardCopyOption.COPY_ATTRIBUTES);
            Run r = run(launcher, Map.of(), "--version");
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.err()).isEqualTo(program + ": " + checkout.resolve("agent-bridge/target/" + program + ".jar")
                    + " is not built yet: run ./mvnw -B -q -DskipTests package first\n");
        }
    }

    @Test
    void noJdk21OrNewerIsSaidWithTheProgramsName() throws Exception {
        Path none = Files.createDirectories(tmp.resolve("no-jdks"));
        Run r = run(ROOT.resolve("kastor-agent"), Map.of("KASTOR_JDK_DIR", none.toString(), "JAVA_HOME", fakeJava17().toString()), "--version");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).startsWith("kastor-agent: no JDK >= 21 found").contains("kastor-agent: install one");
    }

    @Test
    void kasStartsOnASingleNodeWithoutNativeAccessWarningsOrAPrivateApiSecret() throws Exception {
        String key = Base64.getEncoder().encodeToString(new byte[32]);
        Path config = Files.writeString(tmp.resolve("kas.yaml"), """
                listen:
                  agent: {address: "127.0.0.1:0"}
                  api: {address: "127.0.0.1:0"}
                  k8s_proxy: {address: "127.0.0.1:0"}
                gitlab: {url: "http://127.0.0.1:1"}
                api_secret_key: %s
                """.formatted(key));

        String err = runUntil(ROOT.resolve("kastor-kas"), "\"msg\":\"kas started\"", "serve", "--config", config.toString());

        assertThat(err).doesNotContain("WARNING").doesNotContain("restricted method");
    }

    @Test
    void theAgentStartsWithoutNativeAccessWarningsAndNamesWhatItCannotReach() throws Exception {
        int kas = Programs.freePort();
        int api = Programs.freePort();

        String err = runUntil(ROOT.resolve("kastor-agent"), "\"msg\":\"agent registration failed, retrying\"",
                "--kas", "grpc://127.0.0.1:" + kas, "--kube-api-url", "http://127.0.0.1:" + api, "--token-env", "KASTOR_TEST_AGENT_TOKEN");

        assertThat(err).doesNotContain("WARNING").doesNotContain("restricted method").doesNotContain("\"null\"");
        var json = tools.jackson.databind.json.JsonMapper.builder().build();
        var version = err.lines().filter(l -> l.contains("cannot read the Kubernetes version")).map(json::readTree).findFirst().orElseThrow();
        assertThat(version.path("url").asString()).isEqualTo("http://127.0.0.1:" + api + "/version");
        assertThat(version.path("error").asString()).contains("Connection refused").doesNotContain("null");
        var registration = err.lines().filter(l -> l.contains("agent registration failed")).map(json::readTree).findFirst().orElseThrow();
        assertThat(registration.path("error").asString()).startsWith("UNAVAILABLE").contains("127.0.0.1:" + kas)
                .doesNotContain("\tat "); // no stack trace in a log line
    }

    /** JAVA_HOME at a Java 17 that must not be used (its java fails), and the test's own JDK (>= 21) as the only one installed. */
    private Map<String, String> withJava17Home() throws IOException {
        Path jdks = tmp.resolve("jvm");
        if (!Files.exists(jdks)) {
            Files.createDirectories(jdks);
            Files.createSymbolicLink(jdks.resolve("this-jdk"), Path.of(System.getProperty("java.home")));
        }
        return Map.of("JAVA_HOME", fakeJava17().toString(), "KASTOR_JDK_DIR", jdks.toString());
    }

    private Path fakeJava17() throws IOException {
        Path home = tmp.resolve("java-17");
        if (!Files.exists(home)) {
            Files.createDirectories(home.resolve("bin"));
            Files.writeString(home.resolve("release"), "JAVA_VERSION=\"17.0.15\"\n");
            Path java = Files.writeString(home.resolve("bin/java"), "#!/bin/sh\necho 'Java 17 was run' >&2\nexit 99\n");
            java.toFile().setExecutable(true);
        }
        return home;
    }

    private Run run(Path launcher, Map<String, String> env, String... args) throws Exception {
        ProcessBuilder pb = process(launcher, env, args);
        Path out = tmp.resolve("out-" + System.nanoTime());
        Path err = tmp.resolve("err-" + System.nanoTime());
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as(launcher + " finished").isTrue();
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    /** Starts a long-running program, waits until its stderr holds {@code line}, stops it (SIGTERM) and returns its stderr. */
    private String runUntil(Path launcher, String line, String... args) throws Exception {
        Path err = tmp.resolve("err-" + System.nanoTime());
        Process p = process(launcher, Map.of("KASTOR_TEST_AGENT_TOKEN", "kastor_agent_not-a-real-token"), args)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(err.toFile()).start();
        try {
            Eventually.until(Duration.ofSeconds(60), () -> "stderr holds " + line + "; stderr:\n" + readQuietly(err), () -> {
                String stderr = Files.readString(err, StandardCharsets.UTF_8);
                if (stderr.contains(line)) return true;
                assertThat(p.isAlive()).as(launcher + " still running; stderr:\n" + stderr).isTrue();
                return false;
            });
        } finally {
            p.destroy();
            if (!p.waitFor(20, TimeUnit.SECONDS)) p.destroyForcibly().waitFor();
        }
        return Files.readString(err, StandardCharsets.UTF_8);
    }

    private ProcessBuilder process(Path launcher, Map<String, String> env, String... args) {
        var cmd = new ArrayList<String>();
        cmd.add(launcher.toString());
        cmd.addAll(List.of(args));
        var pb = new ProcessBuilder(cmd).directory(tmp.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("KASTOR_") || k.equals("JAVA_TOOL_OPTIONS") || k.equals("JDK_JAVA_OPTIONS"));
        pb.environment().putAll(env);
        return pb;
    }
}
