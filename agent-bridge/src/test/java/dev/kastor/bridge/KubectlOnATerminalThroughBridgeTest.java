package dev.kastor.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kubectl exec -it} and {@code attach -it} as a user runs them in a terminal window: real kubectl 1.32 on a
 * real pseudo-terminal ({@link Terminal}), with the job's KUBECONFIG -> KAS (HTTPS) -> agent -> {@link PodApiUpstream},
 * whose process is {@code cat} on the container's terminal. kubectl then puts its terminal in raw mode, asks the API
 * server for a TTY, sends every keystroke as it is typed and reports the terminal's size at the start and on every
 * resize (the resize stream: channel 4 of {@code v5.channel.k8s.io}, a SPDY stream of its own in
 * {@code v4.channel.k8s.io}). Through KAS and the agent all of it is the raw byte streams of one upgrade.
 *
 * <p>{@code -t} without {@code -i} asks for no TTY at all (kubectl 1.32 gives one only with stdin): that is the plain
 * exec of {@link KubectlExecAndLogsThroughBridgeTest}.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class KubectlOnATerminalThroughBridgeTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String LINE = "hello through the tunnel";

    @TempDir
    static Path dir;
    static PodApiUpstream pods;
    static KubectlThroughKas kas;

    @BeforeAll
    static void start() throws Exception {
        pods = new PodApiUpstream();
        kas = KubectlThroughKas.start(dir, pods.url(), "terminal-job");
    }

    @AfterAll
    static void stop() {
        if (kas != null) kas.close();
        if (pods != null) pods.close();
    }

    @Test
    void kubectlExecItGetsATtyAndCarriesKeystrokesOutputAndTerminalResizes() throws Exception {
        var session = typeResizeAndEnd(List.of(), "exec", "-it", "web", "-c", "app", "--", "cat");

        assertThat(session.subresource).isEqualTo("exec");
        assertThat(session.protocol).isEqualTo("v5.channel.k8s.io");
        assertThat(session.query).containsEntry("command", List.of("cat"));
    }

    @Test
    void kubectlAttachItToAContainerWithATtyCarriesKeystrokesOutputAndTerminalResizes() throws Exception {
        var session = typeResizeAndEnd(List.of(), "attach", "-it", "console", "-c", "app");

        assertThat(session.subresource).isEqualTo("attach");
        assertThat(session.pod).isEqualTo("console");
        assertThat(session.protocol).isEqualTo("v5.channel.k8s.io");
    }

    @Test
    void kubectlExecItOverSpdyOpensAResizeStreamAndNoStderrStream() throws Exception {
        var session = typeResizeAndEnd(List.of("KUBECTL_REMOTE_COMMAND_WEBSOCKETS", "false"), "exec", "-it", "web", "-c", "app", "--", "cat");

        assertThat(session.protocol).isEqualTo("SPDY/3.1");
        assertThat(session.spdyStreams).containsExactlyInAnyOrder("error", "stdin", "stdout", "resize");
    }

    @Test
    void kubectlAttachItOverSpdyOpensAResizeStreamAndNoStderrStream() throws Exception {
        var session = typeResizeAndEnd(List.of("KUBECTL_REMOTE_COMMAND_WEBSOCKETS", "false"), "attach", "-it", "console", "-c", "app");

        assertThat(session.protocol).isEqualTo("SPDY/3.1");
        assertThat(session.spdyStreams).containsExactlyInAnyOrder("error", "stdin", "stdout", "resize");
    }

    /**
     * kubectl with {@code args} on a 100 x 30 terminal: a line typed and answered, the window resized to 132 x 43,
     * then Ctrl-D, which ends cat and the session. Returns the session as the pod's side saw it.
     */
    private static PodApiUpstream.TerminalSession typeResizeAndEnd(List<String> env, String... args) throws Exception {
        pods.terminals.clear();
        try (Terminal terminal = kas.kubectlOnATerminal(100, 30, env, args)) {
            var session = pods.terminals.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(session).as(() -> "no session with a TTY reached the pod; the terminal shows: " + Terminal.printable(terminal.screen()))
                    .isNotNull();
            // A TTY, and no stderr: on a terminal the container's stderr is the terminal, like its stdout.
            assertThat(session.query).containsEntry("tty", List.of("true")).containsEntry("stdin", List.of("true"))
                    .containsEntry("stdout", List.of("true")).doesNotContainKey("stderr");
            // kubectl reports the terminal's size as soon as the session starts (attach first one more in each
            // direction, so that a reattached program redraws its screen).
            awaitSize(session, 100, 30);

            // Enter sends CR. The container's terminal echoes the line as it is typed, then cat writes it back;
            // kubectl's own terminal is raw, so both lines are the pod's doing, not a local echo.
            terminal.type(LINE + "\r");
            terminal.awaitScreen(LINE + "\r\n" + LINE + "\r\n", WAIT);
            assertThat(session.read()).isEqualTo(LINE + "\n");

            terminal.resize(132, 43);
            awaitSize(session, 132, 43);

            terminal.type("\u0004"); // Ctrl-D on an empty line: end of input, cat exits 0
            assertThat(terminal.awaitExit(WAIT)).as(() -> Terminal.printable(terminal.screen())).isZero();
            assertThat(session.exited.getCount()).isZero();
            return session;
        }
    }

    /**
     * Waits until the pod's side got the terminal size {@code width} x {@code height} on the resize stream, as the
     * JSON kubectl writes there. Sizes on the way are allowed: stty sets columns and rows one after the other, so the
     * terminal may pass through a size with only one of them changed.
     */
    private static void awaitSize(PodApiUpstream.TerminalSession session, int width, int height) throws InterruptedException {
        String expected = "{\"Width\":" + width + ",\"Height\":" + height + "}";
        var seen = new java.util.ArrayList<String>();
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!seen.contains(expected)) {
            String size = session.resizes.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (size == null) throw new AssertionError("the pod's terminal never got the size " + expected + "; it got " + seen);
            seen.add(size);
        }
    }
}
