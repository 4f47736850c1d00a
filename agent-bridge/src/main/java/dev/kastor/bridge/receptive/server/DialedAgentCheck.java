package dev.kastor.bridge.receptive.server;

import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.bridge.tunnel.server.AgentAuthInterceptor;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Runs after the agent-token check on the connections KAS dialled to one agent: a call whose token is another agent's
 * is refused. Otherwise whoever answers at an agent's URL with any valid token (a cluster moved, a URL mistyped)
 * would serve that agent's CI jobs. Each wrong agent is logged once.
 */
final class DialedAgentCheck implements ServerInterceptor {
    private final long agentId;
    private final String url;
    private final JsonLog log;
    private final Set<Long> logged = ConcurrentHashMap.newKeySet();

    DialedAgentCheck(long agentId, String url, JsonLog log) {
        this.agentId = agentId;
        this.url = url;
        this.log = log;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        long caller = AgentAuthInterceptor.agentId();
        if (caller == agentId) return next.startCall(call, headers);
        if (logged.add(caller)) {
            log.warn("receptive agent answered with another agent's token: its calls are refused",
                    Map.of("agent_id", agentId, "url", url, "token_agent_id", caller));
        }
        call.close(Status.PERMISSION_DENIED.withDescription("KAS dialled " + url + " as agent " + agentId + ", but this agent's token is agent "
                + caller + "'s: give it agent " + agentId + "'s token, or fix receptive_agents in KAS's config"), new Metadata());
        return new ServerCall.Listener<>() {};
    }
}
