package dev.kastor.bridge.tunnel.server;

import java.time.Duration;

/**
 * Finds a tunnel to an agent for one proxied request. The single-node finder is {@link #local}; a multi-replica KAS
 * also looks at the other replicas (the routing feature's finder, which builds on this package, not the other way).
 */
public interface TunnelFinder {
    /**
     * A tunnel claimed for one request, waiting at most about {@code wait} for a busy agent's stream to become idle.
     *
     * @throws NoTunnel when no tunnel can be had: the k8s proxy answers 503 with its message
     */
    ProxyTunnel find(long agentId, Duration wait) throws NoTunnel, InterruptedException;

    /** An idle stream of this KAS, claimed, if there is one right now; never waits (event-loop safe). Else null. */
    default ProxyTunnel findNow(long agentId) {
        return null;
    }

    /** No tunnel to the agent now; the message says why and what to check. */
    final class NoTunnel extends Exception {
        public NoTunnel(String message) {
            super(message, null, false, false);
        }
    }

    /** Tunnels of this KAS only (single node). */
    static TunnelFinder local(TunnelRegistry registry) {
        return new TunnelFinder() {
            @Override
            public ProxyTunnel find(long agentId, Duration wait) throws NoTunnel, InterruptedException {
                var t = registry.take(agentId, wait);
                if (t.isPresent()) return t.get();
                throw new NoTunnel(localFailure(registry, agentId));
            }

            @Override
            public ProxyTunnel findNow(long agentId) {
                return registry.takeNow(agentId);
            }
        };
    }

    /** Why this KAS has no tunnel of the agent for a request. */
    static String localFailure(TunnelRegistry registry, long agentId) {
        return registry.connected(agentId)
                ? "agent " + agentId + " has no free tunnel stream (all busy): try again"
                : "agent " + agentId + " is not connected to KAS: check that kastor-agent runs in the cluster and reaches KAS";
    }
}
