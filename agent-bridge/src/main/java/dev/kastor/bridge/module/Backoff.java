package dev.kastor.bridge.module;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How long an agent waits before trying KAS again after {@code failures} failures in a row: {@code min} doubled per
 * failure up to {@code max}, plus up to a fifth more at random, so agents that lost KAS together do not come back
 * together. The tunnel pool, the configuration stream and registration all wait this way (GitLab's agent: 1–20 s).
 */
public record Backoff(Duration min, Duration max) {
    public Backoff {
        if (min.isNegative() || min.compareTo(max) > 0) {
            throw new IllegalArgumentException("backoff min " + min + " must be >= 0 and <= max " + max);
        }
    }

    /** Milliseconds to wait after the given number of failures in a row (at least 1). */
    public long delayMillis(int failures) {
        long base = min.toMillis() << Math.min(Math.max(failures, 1) - 1, 16);
        long delay = Math.min(max.toMillis(), base);
        return delay + ThreadLocalRandom.current().nextLong(Math.max(1, delay / 5));
    }
}
