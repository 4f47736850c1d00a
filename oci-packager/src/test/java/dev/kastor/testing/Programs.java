package dev.kastor.testing;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the real programs the fixtures need and fails with the fix when one is not installed. */
public final class Programs {
    /** Output of a finished program. */
    public record Result(int exit, String stdout, String stderr) {}

    private Programs() {}

    /**
     * Fails (never skips: a skipped registry test proves nothing) when a program is not on the PATH.
     *
     * @param debianPackage the package that provides it
     */
    public static Path require(String program, String debianPackage) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, program);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException(program + " is not installed (Debian package " + debianPackage + "): run the project's"
                + " test command from the README, which installs the Debian packages the tests need"
                + " (docker-registry skopeo apache2-utils openssl), or apt-get install -y " + debianPackage);
    }

    public static Result run(List<String> command, long timeoutSeconds) {
        try {
            Path out = Files.createTempFile("kastor-prog", ".out");
            Path err = Files.createTempFile("kastor-prog", ".err");
            try {
                Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
                if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor();
                    throw new IllegalStateException(String.join(" ", command) + " did not finish within " + timeoutSeconds + " s");
                }
                return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + command.get(0), e);
        }
    }

    /** Runs and returns stdout; a non-zero exit fails with the command's stderr. */
    public static String check(List<String> command, long timeoutSeconds) {
        Result r = run(command, timeoutSeconds);
        if (r.exit() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed (exit " + r.exit() + "):\n" + r.stderr() + r.stdout());
        }
        return r.stdout();
    }

    public static int freePort() {
        try (var socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port", e);
        }
    }

    /** Deletes a directory tree, ignoring what is already gone. */
    public static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // Temp dirs: the OS cleans what is left.
        }
    }

    /** Closes each fixture, going on past failures: one server that will not stop must not leave the others running. */
    public static void closeAll(AutoCloseable... fixtures) {
        for (AutoCloseable c : fixtures) {
            try {
                if (c != null) c.close();
            } catch (Exception ignored) {
                // the next one still has to go
            }
        }
    }
}
