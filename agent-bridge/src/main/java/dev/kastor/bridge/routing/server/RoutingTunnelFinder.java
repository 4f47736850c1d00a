package dev.kastor.bridge.routing.server;

import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.bridge.observability.ProxyMetrics;
import dev.kastor.bridge.tunnel.server.ProxyTunnel;
import dev.kastor.bridge.tunnel.server.TunnelFinder;
import dev.kastor.bridge.tunnel.server.TunnelRegistry;
import java.time.Duration;
import java.util.List;

/**
 * Finds a tunnel on a multi-replica KAS: this replica's own streams first (no hop, and it works while Redis is
 * down), else the replica the tracker names, reached over its private API.
 */
final class RoutingTunnelFinder implements TunnelFinder {
    private final TunnelRegistry local;
    private final AgentTracker tracker;
    private final ReplicaChannels replicas;
    private final ProxyMetrics metrics;
    private final JsonLog log;

    RoutingTunnelFinder(TunnelRegistry local, AgentTracker tracker, ReplicaChannels replicas, ProxyMetrics metrics, JsonLog log) {
        this.local = local;
        this.tracker = tracker;
        this.replicas = replicas;
        this.metrics = metrics;
        this.log = log;
    }

    @Override
    public ProxyTunnel findNow(long agentId) {
        return local.takeNow(agentId);
    }

    @Override
    public ProxyTunnel find(long agentId, Duration wait) throws NoTunnel, InterruptedException {
        if (local.connected(agentId)) {
            var own = local.take(agentId, wait);
            if (own.isPresent()) return own.get();
            throw TunnelFinder.noTunnel(local, agentId);
        }
        List<String> holders;
        try {
            holders = tracker.replicasOf(agentId);
        } catch (AgentTracker.Unavailable e) {
            var own = local.take(agentId, wait);
            if (own.isPresent()) return own.get();
            throw new NoTunnel("agent " + agentId + " is not connected to this KAS replica, and " + e.getMessage()
                    + ", so KAS cannot find the replica that holds it: try again once Redis is back");
        }
        if (holders.isEmpty()) {
            // The agent may be between two streams here (take waits a moment for an agent seen just now).
            var own = local.take(agentId, wait);
            if (own.isPresent()) return own.get();
            // Just after this replica started, the agent may be coming back here or to another one (a rollout, a replica lost).
            throw TunnelFinder.noTunnel(local, agentId, "any KAS replica");
        }
        // The most recently refreshed holder first: the one most likely still to hold the agent; the others are tried
        // in turn if it cannot be reached (RemoteTunnel). Checking the tracker before waiting on a stream that just
        // closed here matters when an agent moves to another replica.
        return new RemoteTunnel(replicas, holders, agentId, metrics, log);
    }
}
