package dev.kastor.bridge.registration.agent;

import dev.kastor.bridge.registration.RegistrationDefaults;
import java.time.Duration;

/** Timing of the agent's registration: how often it registers, and the backoff after a failure. */
public record RegistrationSettings(Duration period, Duration backoffMin, Duration backoffMax) {
    public RegistrationSettings {
        if (period.isNegative() || period.isZero()) throw new IllegalArgumentException("registration period must be positive, got " + period);
        if (backoffMin.compareTo(backoffMax) > 0) {
            throw new IllegalArgumentException("registration backoff min " + backoffMin + " exceeds max " + backoffMax);
        }
    }

    public static RegistrationSettings defaults() {
        return new RegistrationSettings(RegistrationDefaults.PERIOD, RegistrationDefaults.BACKOFF_MIN, RegistrationDefaults.BACKOFF_MAX);
    }

    public RegistrationSettings withPeriod(Duration p) {
        return new RegistrationSettings(p, backoffMin, backoffMax);
    }

    public RegistrationSettings withBackoff(Duration min, Duration max) {
        return new RegistrationSettings(period, min, max);
    }
}
