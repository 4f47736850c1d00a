package dev.kastor.steps.kube;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.Bridge;
import dev.kastor.bridge.Upstream;
import dev.kastor.bridge.agentapp.Agent;
import dev.kastor.steps.cli.Context;
import dev.kastor.steps.cli.Errors;
import dev.kastor.testing.SelfSignedCert;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** kastor kube kubeconfig against a real kastor-kas + agent; the KUBECONFIG it writes is used by real kubectl. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class KubeconfigCommandTest {
    @TempDir
    static Path dir;
    static Bridge bridge;
    static Upstream upstream;
    static Agent agent;
    static long agentId;
    static SelfSignedCert cert;

    @BeforeAll
    static void start() throws Exception {
        upstream = new Upstream().handle("/version", ex -> Upstream.send(ex, 200, "application/json",
                "{\"major\":\"1\",\"minor\":\"32\",\"gitVersion\":\"v1.32.0-standin\"}".getBytes(StandardCharsets.UTF_8)));
        cert = SelfSignedCert.create(dir, "kas");
        bridge = new Bridge(dir, cert);
        var reg = bridge.register("group/project", "prod");
        agentId = reg.agent().id();
        bridge.job("job-token-abc", 31, 77, "group/app", agentId);
        agent = bridge.startAgent(reg.token(), upstream.url());
        bridge.awaitConnected(agentId);
    }

    @AfterAll
    static void stop() {
        if (agent != null) agent.close();
        if (bridge != null) bridge.close();
        if (upstream != null) upstream.close();
    }

    record Result(int exit, String out, String err) {}

    static Result kastor(Map<String, String> env, String... args) {
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        var ctx = new Context(env, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                new ByteArrayInputStream(new byte[0]), dir, dir.resolve("home"));
        var errors = new Errors(ctx);
        int exit = new CommandLine(new KubeconfigCommand(ctx)).setExecutionExceptionHandler(errors).setParameterExceptionHandler(errors).execute(args);
        return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static Map<String, String> jobEnv(String token) {
        return Map.of("CI_JOB_TOKEN", token, "KASTOR_KAS_API_URL", "http://127.0.0.1:" + bridge.kas.apiPort());
    }

    @Test
    void writesGitLabsKubeconfigShapeThatKubectlUsesThroughKas() throws Exception {
        Result r = kastor(jobEnv("job-token-abc"), "--file", "kube/config", "--certificate-authority", cert.certPem().toString(),
                "--dotenv", "kube.env");

        assertThat(r.exit()).as(r.err()).isZero();
        Path file = dir.resolve("kube/config");
        String yaml = Files.readString(file);
        assertThat(yaml).contains("- name: \"gitlab\"", "server: \"" + bridge.proxyUrl() + "\"",
                "- name: \"agent:" + agentId + "\"", "token: \"ci:" + agentId + ":job-token-abc\"",
                "- name: \"group/project:prod\"", "namespace: \"default\"", "current-context: \"group/project:prod\"");
        assertThat(Files.getPosixFilePermissions(file)).hasSize(2);
        assertThat(Files.readString(dir.resolve("kube.env"))).contains("KUBECONFIG=" + file);
        assertThat(r.out() + r.err()).doesNotContain("job-token-abc");

        var p = new ProcessBuilder("kubectl", "--kubeconfig", file.toString(), "version", "-o", "json").start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(err).isZero();
        assertThat(out).contains("v1.32.0-standin");
    }

    @Test
    void aTokenKasDoesNotAcceptFailsWithKasReason() {
        Result r = kastor(jobEnv("expired-token"), "--file", "unused");

        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("refused to list this job's agents (401)").doesNotContain("expired-token");
        assertThat(dir.resolve("unused")).doesNotExist();
    }

    @Test
    void withoutAJobTokenItSaysToRunInAJob() {
        Result r = kastor(Map.of("KASTOR_KAS_API_URL", "http://127.0.0.1:1"), "--file", "unused");

        assertThat(r.exit()).isNotZero();
        assertThat(r.err()).contains("CI_JOB_TOKEN is not set");
    }

    @Test
    void kasApiOverHttpsWithAPrivateCaIsTrustedThroughTheCertificateAuthorityOption() throws Exception {
        Path own = dir.resolve("https-api");
        Files.createDirectories(own);
        try (Bridge https = Bridge.withHttpsApi(own, cert)) {
            long id = https.register("group/project", "staging").agent().id();
            https.job("job-token-tls", 32, 77, "group/app", id);
            var env = Map.of("CI_JOB_TOKEN", "job-token-tls", "KASTOR_KAS_API_URL", https.apiUrl().toString());

            Result untrusted = kastor(env, "--file", "tls/untrusted");
            Result trusted = kastor(env, "--file", "tls/config", "--certificate-authority", cert.certPem().toString());

            assertThat(untrusted.exit()).isEqualTo(1);
            assertThat(untrusted.err()).contains("cannot reach KAS at https://").doesNotContain("job-token-tls");
            assertThat(trusted.exit()).as(trusted.err()).isZero();
            assertThat(Files.readString(dir.resolve("tls/config"))).contains("- name: \"group/project:staging\"");
        }
    }
}
