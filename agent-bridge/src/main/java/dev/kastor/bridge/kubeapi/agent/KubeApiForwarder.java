package dev.kastor.bridge.kubeapi.agent;

import dev.kastor.bridge.kubeapi.RequestPaths;
import dev.kastor.bridge.tunnel.agent.RequestHandler;
import dev.kastor.bridge.tunnel.agent.TunnelExchange;
import dev.kastor.bridge.tunnel.rpc.RequestInfo;

/**
 * The agent's half of the k8s proxy: replays a tunnelled request against the cluster's API server with the
 * agent's credentials and the impersonation KAS decided, and streams the answer back chunk by chunk (a watch
 * event goes out as soon as the API server sends it; a large LIST never sits whole in memory). The HTTP itself,
 * upgrades included (exec, attach, port-forward, WebSocket watches), is {@link ApiServerHttp}'s.
 */
public final class KubeApiForwarder implements RequestHandler {
    private final ApiServerHttp http;

    public KubeApiForwarder(KubeApiUpstream upstream) {
        this.http = new ApiServerHttp(upstream);
    }

    @Override
    public void handle(RequestInfo info, TunnelExchange exchange) throws Exception {
        // KAS refuses such paths already; the agent does not rely on it (a KAS of another version may not).
        var refused = RequestPaths.whyRefused(info.getPath());
        if (refused.isPresent()) {
            exchange.error(400, "the agent refuses the request: " + refused.get());
            return;
        }
        http.forward(info, exchange);
    }
}
