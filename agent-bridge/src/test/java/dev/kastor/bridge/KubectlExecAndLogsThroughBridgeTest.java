package dev.kastor.bridge;

import static org.assertj.core.api.Assertions.assertThat;

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
    static PodApiUpstream pods;
    static KubectlThroughKas kas;

    @BeforeAll
    static void start() throws Exception {
        pods = new PodApiUpstream();
        kas = KubectlThroughKas.start(dir, pods.url(), "exec-job");
    }

    @AfterAll
    static void stop() {
        if (kas != null) kas.close();
        if (pods != null) pods.close();
    }

    private static Process kubectl(String... args) throws Exception {
        var withTimeout = new java.util.ArrayList<>(List.of("--request-timeout=60s"));
        withTimeout.addAll(List.of(args));
        return kas.kubectl(withTimeout.toArray(String[]::new));
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
