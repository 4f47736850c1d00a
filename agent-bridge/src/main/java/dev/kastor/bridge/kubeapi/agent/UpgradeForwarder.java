package dev.kastor.bridge.kubeapi.agent;

import dev.kastor.bridge.tunnel.agent.TunnelExchange;
import dev.kastor.bridge.tunnel.rpc.RequestInfo;

/** Placeholder until upgrades are carried: refuses upgrade requests with a clear message. */
final class UpgradeForwarder {
    private final KubeApiUpstream upstream;

    UpgradeForwarder(KubeApiUpstream upstream) {
        this.upstream = upstream;
    }

    void forward(RequestInfo info, TunnelExchange exchange) {
        exchange.error(502, "HTTP upgrades are not carried by this agent yet (" + upstream.url() + info.getPath() + ")");
    }
}
