package dev.kastor.bridge.agents;

import dev.kastor.bridge.observability.Causes;
import dev.kastor.bridge.observability.JsonLog;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Makes {@code kastor-kas agent revoke} immediate for agents already connected: the token is checked when a call
 * starts, and a tunnel stream or a configuration watch lives for hours, so every {@code every} the agents connected
 * here are looked up in the agents file (re-read only when it changed on disk) and the {@link AgentStreams} of any
 * that is revoked or gone are ended. Each replica reads the same file (a ReadWriteMany volume) and sweeps its own
 * agents, so all replicas cut the agent within one period; its new calls are refused when they start. Its HTTP/2
 * connection, with no call left, is closed by the agent port's idle bound ({@code TunnelDefaults.MAX_CONNECTION_IDLE}):
 * gRPC has no way to close one connection from the server.
 */
public final class RevocationSweep implements AutoCloseable {
    /** How soon a revocation reaches a connected agent. Reading the file's time stamp once a second costs nothing. */
    public static final Duration EVERY = Duration.ofSeconds(1);

    private final AgentStore agents;
    private final List<AgentStreams> streams;
    private final JsonLog log;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("kas-revocation-sweep").daemon().factory());

    public RevocationSweep(AgentStore agents, List<AgentStreams> streams, JsonLog log, Duration every) {
        this.agents = agents;
        this.streams = List.copyOf(streams);
        this.log = log;
        timer.scheduleWithFixedDelay(this::sweep, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** One pass: ends the calls of every connected agent that is no longer active. */
    void sweep() {
        try {
            // One look at the agents file per pass (re-read only when it changed), however many agents are connected.
            Set<Long> active = new HashSet<>();
            for (AgentStore.Agent a : agents.list()) if (a.active()) active.add(a.id());
            for (AgentStreams kind : streams) {
                for (long id : kind.connectedAgentIds()) {
                    if (active.contains(id)) continue;
                    int ended = kind.revoke(id, "agent " + id + " was revoked on KAS: its requests are refused");
                    log.warn("ended the " + kind.kind() + " streams of a revoked agent", Map.of("agent_id", id, "streams", ended));
                }
            }
        } catch (RuntimeException e) {
            // a half-written agents file is read again at the next pass; the sweep must not stop for good
            log.warn("revocation sweep failed, trying again", Map.of("error", Causes.describe(e)));
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
