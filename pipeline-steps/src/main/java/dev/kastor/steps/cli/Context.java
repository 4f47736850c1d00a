package dev.kastor.steps.cli;

import dev.kastor.steps.env.Environment;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;

/**
 * What a command may touch of the outside world: what a step reads of it ({@link Environment}: GitLab CI variables,
 * working directory, standard input) and the streams the command prints on. Passed in rather than read from
 * {@link System}, so tests run commands in-process with their own.
 */
public record Context(Map<String, String> env, PrintStream out, PrintStream err, InputStream in, Path workDir, Path home) implements Environment {
    public static Context system() {
        return new Context(System.getenv(), System.out, System.err, System.in,
                Path.of("").toAbsolutePath(), Path.of(System.getProperty("user.home")));
    }

    public boolean inGitLabCi() {
        return "true".equalsIgnoreCase(env.get("GITLAB_CI"));
    }
}
