package dev.kastor.oci.registry;

import java.time.Duration;

/**
 * How often and how patiently a registry call is retried after 429, 5xx or a broken connection.
 *
 * @param maxAttempts attempts in total, at least 1
 * @param baseBackoff wait after the first failure; doubled each time
 * @param maxBackoff cap for the backoff and for a registry's {@code Retry-After}
 * @param jitter fraction (0..1) of the backoff that is randomised, so parallel jobs do not retry in lockstep
 */
public record RetryPolicy(int maxAttempts, Duration baseBackoff, Duration maxBackoff, double jitter) {
    public static final RetryPolicy DEFAULT = new RetryPolicy(5, Duration.ofMillis(500), Duration.ofSeconds(20), 0.5);

    public RetryPolicy {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1");
        }
        if (baseBackoff.isNegative() || maxBackoff.isNegative() || jitter < 0 || jitter > 1) {
            throw new IllegalArgumentException("backoff must not be negative and jitter must be within 0..1");
        }
    }

    /** Backoff before attempt {@code attempt + 1}, after {@code attempt} failures (1-based), without Retry-After. */
    public Duration backoff(int attempt, double random) {
        long base = baseBackoff.toMillis() << Math.min(attempt - 1, 20);
        long capped = Math.min(Math.max(base, 0), maxBackoff.toMillis());
        long jittered = Math.round(capped * (1 - jitter + jitter * random));
        return Duration.ofMillis(jittered);
    }

    /** A registry's Retry-After, honoured but capped so a misconfigured registry cannot stall a pipeline for hours. */
    public Duration capRetryAfter(Duration retryAfter) {
        return retryAfter.compareTo(maxBackoff) > 0 ? maxBackoff : retryAfter;
    }
}
