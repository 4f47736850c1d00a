package dev.kastor.bridge;

import dev.kastor.testing.Eventually;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A command on a pseudo-terminal of its own, as if typed in a terminal window: util-linux {@code script} (Debian's
 * {@code bsdutils}, part of every Debian system) opens the pty, the command runs with it as stdin, stdout, stderr and
 * controlling terminal, and what the test writes is what the user types. {@link #resize} changes the terminal's size
 * as a terminal window does, so the command gets {@code SIGWINCH}. A test process has no terminal, and kubectl gives
 * a TTY only to one ({@code exec -it}, {@code attach -it}).
 */
final class Terminal implements AutoCloseable {
    private final Process process;
    private final Path ttyName;
    private final OutputStream keys;
    private final StringBuffer screen = new StringBuffer();

    private Terminal(Process process, Path ttyName) {
        this.process = process;
        this.ttyName = ttyName;
        this.keys = process.getOutputStream();
        Thread.ofVirtual().name("terminal-screen").start(() -> {
            byte[] buf = new byte[8192];
            try (InputStream in = process.getInputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) screen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
            } catch (IOException ended) {
                // the terminal closed
            }
        });
    }

    /** Starts {@code command} on a terminal of {@code cols} x {@code rows}, with {@code env} added to this process's environment. */
    static Terminal start(Path dir, int cols, int rows, Map<String, String> env, List<String> command) throws IOException {
        Path ttyName = Files.createTempFile(dir, "tty", ".name");
        String shell = "tty > " + quote(ttyName.toString()) + " && stty cols " + cols + " rows " + rows + " && exec "
                + command.stream().map(Terminal::quote).collect(Collectors.joining(" "));
        var pb = new ProcessBuilder("script", "--quiet", "--return", "--command", shell, "/dev/null");
        pb.environment().putAll(env);
        pb.environment().put("SHELL", "/bin/sh");
        pb.environment().put("TERM", "xterm");
        pb.redirectErrorStream(true);
        return new Terminal(pb.start(), ttyName);
    }

    /** Types {@code text} (Enter is {@code "\r"}, Ctrl-D {@code "\u0004"}, as a terminal sends them). */
    void type(String text) throws IOException {
        keys.write(text.getBytes(StandardCharsets.UTF_8));
        keys.flush();
    }

    /** Resizes the terminal, as dragging a terminal window's corner does: the command gets SIGWINCH. */
    void resize(int cols, int rows) throws IOException, InterruptedException {
        String tty = Files.readString(ttyName).trim();
        var stty = new ProcessBuilder("stty", "-F", tty, "cols", String.valueOf(cols), "rows", String.valueOf(rows))
                .redirectErrorStream(true).start();
        String out = new String(stty.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!stty.waitFor(30, TimeUnit.SECONDS) || stty.exitValue() != 0) throw new IOException("stty -F " + tty + " failed: " + out);
    }

    /** Everything the terminal showed so far, control characters included. */
    String screen() {
        return screen.toString();
    }

    /** Waits until the terminal shows {@code text}. */
    void awaitScreen(String text, Duration timeout) throws InterruptedException {
        Eventually.until(timeout, () -> "the terminal shows " + printable(text) + "; it shows: " + printable(screen()), () -> screen.toString().contains(text));
    }

    /** The command's exit code, once it ended within {@code timeout}. */
    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("the command on the terminal still runs after " + timeout.toSeconds() + " s; it shows: " + printable(screen()));
        }
        return process.exitValue();
    }

    /** {@code s} with CR, LF and other control characters spelled out, for assertion messages. */
    static String printable(String s) {
        var sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            switch (c) {
                case '\r' -> sb.append("\\r");
                case '\n' -> sb.append("\\n");
                default -> {
                    if (c < 0x20) sb.append(String.format("\\x%02x", (int) c));
                    else sb.append(c);
                }
            }
        }
        return sb.toString();
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    @Override
    public void close() throws IOException {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        keys.close();
    }
}
