package dev.kastor.bridge.statuspage.server;

import dev.kastor.bridge.statuspage.StatusPageDefaults;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Refused sign-ins per client host: after {@link StatusPageDefaults#MAX_FAILED_SIGN_INS} within
 * {@link StatusPageDefaults#SIGN_IN_WINDOW}, the host is refused until the window ends, so the operator token cannot be
 * guessed at the API port's speed. Bounded: hosts whose window ended are forgotten when many are kept.
 */
final class SignInThrottle {
    private static final int FORGET_ABOVE = 10_000;

    /** Refused sign-ins of one host within the current window. */
    private record Failures(Instant windowStart, int count) {}

    private final Clock clock;
    private final Map<String, Failures> failuresByHost = new ConcurrentHashMap<>();

    SignInThrottle(Clock clock) {
        this.clock = clock;
    }

    /** Whether the host has failed too often within its current window. */
    boolean throttled(String host) {
        Failures f = failuresByHost.get(host);
        return f != null && f.count() >= StatusPageDefaults.MAX_FAILED_SIGN_INS && clock.instant().isBefore(ended(f));
    }

    /** One more refused sign-in from the host. */
    void failed(String host) {
        Instant now = clock.instant();
        failuresByHost.compute(host, (h, f) -> f == null || !now.isBefore(ended(f)) ? new Failures(now, 1) : new Failures(f.windowStart(), f.count() + 1));
        if (failuresByHost.size() > FORGET_ABOVE) failuresByHost.entrySet().removeIf(e -> !now.isBefore(ended(e.getValue())));
    }

    /** A sign-in succeeded: the host starts afresh. */
    void succeeded(String host) {
        failuresByHost.remove(host);
    }

    private static Instant ended(Failures f) {
        return f.windowStart().plus(StatusPageDefaults.SIGN_IN_WINDOW);
    }
}
