package dev.kastor.bridge.tunnel.agent;

import dev.kastor.bridge.tunnel.rpc.RequestInfo;

/** Serves one request that arrived on a tunnel stream; runs on its own (virtual) thread and may block. */
public interface RequestHandler {
    void handle(RequestInfo info, TunnelExchange exchange) throws Exception;
}
