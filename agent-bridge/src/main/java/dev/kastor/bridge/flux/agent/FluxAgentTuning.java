package dev.kastor.bridge.flux.agent;

import java.time.Duration;

/**
 * How the agent calls Flux Receivers: each call's timeout, how many tries (waiting {@code retryDelay} times the try
 * number between them), how many calls run at once and how many may wait; and how often it looks whether Flux got
 * installed. Tests shorten the waits.
 */
public record FluxAgentTuning(Duration callTimeout, int attempts, Duration retryDelay, int concurrentCalls, int queuedCalls,
                              Duration fluxCheckEvery) {
    public static final FluxAgentTuning DEFAULTS = new FluxAgentTuning(Duration.ofSeconds(10), 4, Duration.ofSeconds(1), 4, 1000,
            Duration.ofMinutes(5));
}
