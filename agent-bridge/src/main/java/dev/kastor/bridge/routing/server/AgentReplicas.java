package dev.kastor.bridge.routing.server;

import java.util.List;

/**
 * Which KAS replicas hold an agent's tunnels, from the tracker all replicas share (Redis), for views of the whole
 * fleet such as the status page. Provided by the routing module only with several replicas; a single node knows its
 * agents from its own {@link dev.kastor.bridge.tunnel.server.TunnelRegistry}.
 */
public interface AgentReplicas {
    /** The private API URL this replica advertises ({@code own_private_api_url}): how the others name it. */
    String self();

    /**
     * The other replicas holding tunnels of the agent, by their private API URLs, most recently refreshed first.
     *
     * @throws Unreachable when the tracker cannot be asked now (the message says why)
     */
    List<String> elsewhere(long agentId) throws Unreachable;

    /** The tracker cannot be asked; the message names what is unreachable. */
    final class Unreachable extends Exception {
        Unreachable(String message) {
            super(message, null, false, false);
        }
    }
}
