package dev.kastor.testing;

import java.time.Duration;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Waits on a condition, not for a guessed time: checks it every few milliseconds until it holds, and fails only when
 * it still does not after {@code limit}, naming what it waited for. The limit is a generous safety net against a
 * hang, never the expected duration, so a slow machine makes a test slower but not red. The one place tests poll
 * (oci-packager, pipeline-steps and agent-bridge all read this test-jar).
 */
public final class Eventually {
    private static final long POLL_MILLIS = 20;

    private Eventually() {
    }

    /** A check that may throw what its caller's code throws (an HTTP call, a file read). */
    @FunctionalInterface
    public interface Probe<T, E extends Exception> {
        T get() throws E;
    }

    /**
     * Returns once {@code condition} holds; throws an {@link AssertionError} with {@code what} (built then, so it can
     * carry a log) if it still does not after {@code limit}.
     */
    public static <E extends Exception> void until(Duration limit, Supplier<String> what, Probe<Boolean, E> condition)
            throws E, InterruptedException {
        value(limit, what, condition, Boolean::booleanValue);
    }

    /** Reads {@code probe} until its value satisfies {@code done}, and returns that value. */
    public static <T, E extends Exception> T value(Duration limit, Supplier<String> what, Probe<T, E> probe, Predicate<? super T> done)
            throws E, InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            T seen = probe.get();
            if (done.test(seen)) return seen;
            if (System.nanoTime() - deadline > 0) {
                String last = seen instanceof Boolean ? "" : " (last seen: " + seen + ")";
                throw new AssertionError("not within " + limit.toSeconds() + " s: " + what.get() + last);
            }
            Thread.sleep(POLL_MILLIS);
        }
    }
}
