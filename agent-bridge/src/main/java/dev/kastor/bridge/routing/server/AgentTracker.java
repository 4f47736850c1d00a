package dev.kastor.bridge.routing.server;

import java.util.List;
import java.util.Optional;

/**
 * Which KAS replica holds tunnels of which agent, shared by all replicas. A single node needs none: its
 * {@link dev.kastor.bridge.tunnel.server.TunnelRegistry} already knows its own agents, in memory.
 */
interface AgentTracker extends AutoCloseable {
    /** Starts keeping this replica's entries (for the agents it holds now and later). */
    void start();

    /**
     * Private API URLs of the other replicas holding tunnels of the agent (this replica left out), most recently
     * refreshed first.
     *
     * @throws Unavailable when the tracker cannot be asked now
     */
    List<String> replicasOf(long agentId) throws Unavailable;

    /** Why the tracker cannot serve now (KAS is not ready then), or empty. */
    Optional<String> notReady();

    @Override
    void close();

    /** The tracker cannot be asked; the message names what is unreachable. */
    final class Unavailable extends Exception {
        Unavailable(String message) {
            super(message, null, false, false);
        }
    }
}
