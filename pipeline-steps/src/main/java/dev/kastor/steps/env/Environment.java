package dev.kastor.steps.env;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.Map;

/**
 * What a step reads of the outside world: the environment's variables (GitLab CI's), the working directory user-given
 * paths are relative to, the home directory and standard input. Handed in, never read from {@link System}, so tests
 * run a step with their own; the CLI's {@code Context} is one.
 */
public interface Environment {
    Map<String, String> env();

    Path workDir();

    Path home();

    InputStream in();

    /** A variable's value, or {@code null} when it is unset or blank: a blank variable counts as not given. */
    default String env(String name) {
        String v = env().get(name);
        return v == null || v.isBlank() ? null : v;
    }

    /** Resolves a user-given path against the working directory. */
    default Path path(String p) {
        return workDir().resolve(p).normalize();
    }
}
