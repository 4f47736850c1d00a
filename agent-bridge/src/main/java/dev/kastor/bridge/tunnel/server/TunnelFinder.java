package dev.kastor.bridge.tunnel.server;

import dev.kastor.bridge.tunnel.TunnelDefaults;
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

    /**
     * No tunnel to the agent now; the message says why and what to check. {@code retryAfterSeconds} above 0 when the
     * reason passes by itself (the k8s proxy then sends {@code Retry-After}, and kubectl comes back on its own).
     */
    final class NoTunnel extends Exception {
        private final int retryAfterSeconds;

        public NoTunnel(String message) {
            this(message, 0);
        }

        public NoTunnel(String message, int retryAfterSeconds) {
            super(message, null, false, false);
            this.retryAfterSeconds = retryAfterSeconds;
        }

        public int retryAfterSeconds() {
            return retryAfterSeconds;
        }
    }

    /** Tunnels of this KAS only (single node). */
    static TunnelFinder local(TunnelRegistry registry) {
        return new TunnelFinder() {
            @Override
            public ProxyTunnel find(long agentId, Duration wait) throws NoTunnel, InterruptedException {
                var t = registry.take(agentId, wait);
                if (t.isPresent()) return t.get();
                throw noTunnel(registry, agentId);
            }

            @Override
            public ProxyTunnel findNow(long agentId) {
                return registry.takeNow(agentId);
            }
        };
    }

    /**
     * Why this KAS has no tunnel of the agent for a request. Within {@link TunnelDefaults#RECONNECT_WINDOW} of its start,
     * an agent that is not connected is most likely not connected yet (KAS restarted, and its agents are coming back):
     * the client is told so, and when to come back.
     */
    static NoTunnel noTunnel(TunnelRegistry registry, long agentId) {
        return noTunnel(registry, agentId, "KAS");
    }

    /** As above; {@code where} names what the agent is not connected to ("KAS", "any KAS replica"). */
    static NoTunnel noTunnel(TunnelRegistry registry, long agentId, String where) {
        if (registry.connected(agentId)) {
            return new NoTunnel("agent " + agentId + " has no free tunnel stream (all busy): try again", TunnelDefaults.RETRY_AFTER_SECONDS);
        }
        Duration up = registry.upFor();
        if (up.compareTo(TunnelDefaults.RECONNECT_WINDOW) < 0) {
            return new NoTunnel("agent " + agentId + " is not connected to " + where + " yet: KAS started " + up.toSeconds() + " s ago and agents"
                    + " reconnect within " + TunnelDefaults.RECONNECT_WINDOW.toSeconds() + " s; try again shortly", TunnelDefaults.RETRY_AFTER_SECONDS);
        }
        return new NoTunnel("agent " + agentId + " is not connected to " + where + ": check that kastor-agent runs in the cluster and reaches KAS");
    }
}
