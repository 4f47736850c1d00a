package dev.kastor.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.agent.Agent;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The commands users expect to work through the agent besides CRUD: real kubectl 1.32 with the job's KUBECONFIG
 * -> KAS (HTTPS) -> agent -> {@link PodApiUpstream}. {@code exec} upgrades to WebSocket ({@code v5.channel.k8s.io})
 * and then the tunnel stream is two raw byte streams; {@code logs -f} is one response that never ends on its own.
 * Port-forward (WebSocket-tunnelled SPDY and plain SPDY) and attach take the same upgrade path:
 * {@link KubectlPortForwardAndAttachThroughBridgeTest}.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class KubectlExecAndLogsThroughBridgeTest {
    @TempDir
    static Path dir;
    static Bridge bridge;
    static PodApiUpstream pods;
    static Agent agent;
    static Path kubeconfig;

    @BeforeAll
    static void start() throws Exception {
        pods = new PodApiUpstream();
        var cert = dev.kastor.testing.SelfSignedCert.create(dir, "kas");
        bridge = new Bridge(dir, cert);
        var reg = bridge.register("group/project", "prod");
        long id = reg.agent().id();
        bridge.job("exec-job", 31, 77, "group/app", id);
        agent = bridge.startAgent(reg.token(), pods.url());
        bridge.awaitConnected(id);
        kubeconfig = Kubeconfigs.write(dir.resolve("kubeconfig"), bridge.proxyUrl(), cert, "group/project:prod", id, "exec-job");
    }

    @AfterAll
    static void stop() {
        if (agent != null) agent.close();
        if (bridge != null) bridge.close();
        if (pods != null) pods.close();
    }

    private static Process kubectl(String... args) throws Exception {
        var cmd = new java.util.ArrayList<>(List.of("kubectl", "--kubeconfig", kubeconfig.toString(), "--request-timeout=60s"));
        cmd.addAll(List.of(args));
        var pb = new ProcessBuilder(cmd);
        pb.environment().put("HOME", dir.toString());
        return pb.start();
    }

    @Test
    void kubectlExecRunsTheCommandOverAWebSocketThroughTheTunnel() throws Exception {
        Process p = kubectl("exec", "web", "-c", "app", "--", "echo", "hello", "from", "the", "pod");
        var err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        String out = read(p.getInputStream());
        assertThat(p.waitFor(90, TimeUnit.SECONDS)).isTrue();

        assertThat(p.exitValue()).as(err.get()).isZero();
        assertThat(out).isEqualTo("hello from the pod\n");
        assertThat(pods.execs).contains(List.of("echo", "hello", "from", "the", "pod"));
    }

    @Test
    void kubectlLogsFollowPrintsEachLineAsTheContainerWritesIt() throws Exception {
        Process p = kubectl("logs", "-f", "web", "-c", "app");
        var lines = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));

        // The second line does not exist yet: the first must arrive on its own, not after the response ended.
        assertThat(lines.readLine()).isEqualTo("first line");
        assertThat(p.isAlive()).isTrue();

        pods.releaseSecondLogLine.countDown();
        assertThat(lines.readLine()).isEqualTo("second line");
        assertThat(p.waitFor(90, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(read(p.getErrorStream())).isZero();
    }

    private static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
