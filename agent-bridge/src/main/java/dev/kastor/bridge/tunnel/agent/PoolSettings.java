package dev.kastor.bridge.tunnel.agent;

import dev.kastor.bridge.tunnel.TunnelDefaults;
import java.time.Duration;

/** Sizing and timing of the agent's pool of tunnel streams. */
public record PoolSettings(int minIdle, int max, int growBy, Duration idleTimeout, Duration backoffMin, Duration backoffMax) {
    public static PoolSettings defaults() {
        return new PoolSettings(TunnelDefaults.MIN_IDLE_STREAMS, TunnelDefaults.MAX_STREAMS, TunnelDefaults.GROW_BY,
                TunnelDefaults.IDLE_STREAM_TIMEOUT, TunnelDefaults.BACKOFF_MIN, TunnelDefaults.BACKOFF_MAX);
    }

    public PoolSettings withBackoff(Duration min, Duration max) {
        return new PoolSettings(minIdle, this.max, growBy, idleTimeout, min, max);
    }

    public PoolSettings withIdleTimeout(Duration timeout) {
        return new PoolSettings(minIdle, max, growBy, timeout, backoffMin, backoffMax);
    }
}
