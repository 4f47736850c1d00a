package dev.kastor.steps.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;

/**
 * What a command may touch of the outside world: environment (GitLab CI variables), streams, working directory,
 * standard input. Passed in rather than read from {@link System}, so tests run commands in-process with their own.
 */
public record Context(Map<String, String> env, PrintStream out, PrintStream err, InputStream in, Path workDir, Path home) {
    public static Context system() {
        return new Context(System.getenv(), System.out, System.err, System.in,
                Path.of("").toAbsolutePath(), Path.of(System.getProperty("user.home")));
    }

    public String env(String name) {
        String v = env.get(name);
        return v == null || v.isBlank() ? null : v;
    }

    /** Resolves a user-given path against the working directory. */
    public Path path(String p) {
        return workDir.resolve(p).normalize();
    }

    public boolean inGitLabCi() {
        return "true".equalsIgnoreCase(env.get("GITLAB_CI"));
    }
}
