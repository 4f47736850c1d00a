package dev.kastor.bridge.tunnel.agent;

import dev.kastor.bridge.tunnel.TunnelDefaults;
import java.time.Duration;

/**
 * Sizing and timing of the agent's pool of tunnel streams. {@code sendStall}: how long a stream's write may wait for
 * KAS to take frames before the stream is given up ({@link TunnelDefaults#SEND_STALL}).
 */
public record PoolSettings(int minIdle, int max, int growBy, Duration idleTimeout, Duration backoffMin, Duration backoffMax,
                           Duration sendStall) {
    public PoolSettings {
        // A zero or missing limit would give up every stream that waits for KAS at all.
        if (sendStall == null || sendStall.isNegative() || sendStall.isZero()) {
            throw new IllegalArgumentException("sendStall must be a positive duration (default " + TunnelDefaults.SEND_STALL + "), not " + sendStall);
        }
    }

    public static PoolSettings defaults() {
        return new PoolSettings(TunnelDefaults.MIN_IDLE_STREAMS, TunnelDefaults.MAX_STREAMS, TunnelDefaults.GROW_BY,
                TunnelDefaults.IDLE_STREAM_TIMEOUT, TunnelDefaults.BACKOFF_MIN, TunnelDefaults.BACKOFF_MAX, TunnelDefaults.SEND_STALL);
    }

    public PoolSettings withBackoff(Duration min, Duration max) {
        return new PoolSettings(minIdle, this.max, growBy, idleTimeout, min, max, sendStall);
    }

    public PoolSettings withIdleTimeout(Duration timeout) {
        return new PoolSettings(minIdle, max, growBy, timeout, backoffMin, backoffMax, sendStall);
    }

    public PoolSettings withSendStall(Duration stall) {
        return new PoolSettings(minIdle, max, growBy, idleTimeout, backoffMin, backoffMax, stall);
    }
}
