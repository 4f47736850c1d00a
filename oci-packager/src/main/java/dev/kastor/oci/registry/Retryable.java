package dev.kastor.oci.registry;

import java.time.Duration;

/**
 * One attempt failed in a way that may pass: 429, 5xx or a broken connection. Internal to the client: after the
 * last attempt {@link Retry} turns it into {@link RegistryException.Unavailable}.
 */
final class Retryable extends RuntimeException {
    private final int status;
    private final Duration retryAfter;

    Retryable(String detail, int status, Duration retryAfter, Throwable cause) {
        super(detail, cause, false, false);
        this.status = status;
        this.retryAfter = retryAfter;
    }

    /** HTTP status, or 0 for a connection failure. */
    int status() {
        return status;
    }

    /** The registry's Retry-After, or {@code null}. */
    Duration retryAfter() {
        return retryAfter;
    }
}
