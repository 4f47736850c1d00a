package dev.kastor.oci.registry;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Runs one registry operation again after 429, 5xx or a broken connection: honours {@code Retry-After} (seconds or
 * HTTP-date, capped by the policy), else waits with exponential backoff and jitter. Each attempt must be complete
 * in itself (a blob upload restarts from its POST), so a retry never continues a half-known session.
 */
final class Retry {
    private final RetryPolicy policy;
    private final String host;
    private final Consumer<String> notices;

    Retry(RetryPolicy policy, String host, Consumer<String> notices) {
        this.policy = policy;
        this.host = host;
        this.notices = notices;
    }

    <T> T call(String what, Supplier<T> attempt) {
        Retryable last = null;
        for (int n = 1; n <= policy.maxAttempts(); n++) {
            try {
                return attempt.get();
            } catch (Retryable e) {
                last = e;
                if (n == policy.maxAttempts()) {
                    break;
                }
                Duration wait = e.retryAfter() != null
                        ? policy.capRetryAfter(e.retryAfter())
                        : policy.backoff(n, ThreadLocalRandom.current().nextDouble());
                notices.accept(String.format(Locale.ROOT, "registry %s: %s failed (%s); attempt %d of %d in %.1f s",
                        host, what, e.getMessage(), n + 1, policy.maxAttempts(), wait.toMillis() / 1000.0));
                sleep(wait);
            }
        }
        String outcome = last.status() == 0 ? "connection failed (" + last.getMessage() + ")" : "last answer " + last.getMessage();
        throw new RegistryException.Unavailable("registry " + host + " did not complete " + what + " after "
                + policy.maxAttempts() + " attempt" + (policy.maxAttempts() == 1 ? "" : "s") + ": " + outcome
                + "; the registry may be overloaded or down, try again later", last.status(), last.getCause());
    }

    private static void sleep(Duration wait) {
        try {
            Thread.sleep(wait.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException("interrupted while waiting to retry", 0, e);
        }
    }

    /** Parses {@code Retry-After}: delta-seconds or an HTTP-date; {@code null} when absent or unreadable. */
    static Duration parseRetryAfter(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String v = value.trim();
        try {
            long seconds = Long.parseLong(v);
            return seconds < 0 ? null : Duration.ofSeconds(seconds);
        } catch (NumberFormatException notSeconds) {
            try {
                Duration until = Duration.between(ZonedDateTime.now(), ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME));
                return until.isNegative() ? Duration.ZERO : until;
            } catch (DateTimeParseException notADate) {
                return null;
            }
        }
    }
}
