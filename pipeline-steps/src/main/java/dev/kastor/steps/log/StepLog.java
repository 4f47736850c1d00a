package dev.kastor.steps.log;

/**
 * Where a step tells what it does while it runs: progress lines and warnings. The step says what happened; its
 * caller decides how it is shown (the CLI's {@code Console} writes both to stderr and drops progress under
 * {@code --output json}), as jib's steps publish log events to the handlers their caller registered.
 */
public interface StepLog {
    void info(String line);

    void warn(String line);
}
