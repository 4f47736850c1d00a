package dev.kastor.steps.cli;

/** Exit codes of every kastor command, documented in --help and the README. Mapped in one place: {@link Errors}. */
public final class ExitCode {
    public static final int OK = 0;
    /** The step failed: registry refused, input invalid, network down after retries. */
    public static final int FAILED = 1;
    /** The command line is wrong: unknown option, missing argument. */
    public static final int USAGE = 2;
    /** {@code kastor artifact diff} found differences (like diff(1) and kubectl diff, but apart from failures). */
    public static final int DIFFERENT = 3;

    private ExitCode() {}
}
