package dev.kastor.steps.cli;

/** Exit codes of every kastor command, documented in --help and the README. Mapped in one place: {@link Errors}. */
public final class ExitCode {
    public static final int OK = 0;
    /** The step failed: registry refused, input invalid (a missing file, a bad kubeconfig), network down after retries. */
    public static final int FAILED = 1;
    /**
     * The command line is wrong: unknown option, missing or empty argument, a malformed option value; or a variable the
     * step reads is ({@code UsageException}).
     */
    public static final int USAGE = 2;
    /** {@code kastor artifact diff} found differences (like diff(1) and kubectl diff, but apart from failures). */
    public static final int DIFFERENT = 3;
    /** A wait (flux wait, kube apply --wait) ran out of time: nothing failed, it was not done yet. Failures stay {@link #FAILED}. */
    public static final int TIMED_OUT = 4;

    private ExitCode() {}
}
