package dev.kastor.steps.log;

/**
 * Where a step tells what it does while it runs: what it did ({@link #info}) and what the user should look at
 * ({@link #warn}). The step says what happened; its caller decides how it is shown (the CLI's {@code Console} writes
 * both to stderr, and no info lines under {@code --output json}), as jib's steps publish log events to the handlers
 * their caller registered.
 */
public interface StepLog {
    void info(String line);

    void warn(String line);
}
