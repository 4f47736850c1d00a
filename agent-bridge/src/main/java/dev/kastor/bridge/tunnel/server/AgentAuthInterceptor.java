package dev.kastor.bridge.tunnel.server;

import dev.kastor.bridge.agents.AgentStore;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/**
 * Authenticates every agent call by its token ({@code authorization: Bearer <token>}). A refusal is logged, rate-limited,
 * with the peer and a hash prefix ({@link RefusedTokenLog}); the token itself never is.
 */
public final class AgentAuthInterceptor implements ServerInterceptor {
    static final Context.Key<Long> AGENT_ID = Context.key("kastor-agent-id");
    private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final AgentStore agents;
    private final RefusedTokenLog refusals;

    /** {@code refusals} is shared by every service's interceptor, so its rate limit holds across them. */
    public AgentAuthInterceptor(AgentStore agents, RefusedTokenLog refusals) {
        this.agents = agents;
        this.refusals = refusals;
    }

    /** The authenticated agent of the current call (for other agent-facing services). */
    public static long agentId() {
        return AGENT_ID.get();
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String auth = headers.get(AUTHORIZATION);
        if (auth == null || !auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            refusals.refused(call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR), null, auth == null ? "missing" : "malformed");
            call.close(Status.UNAUTHENTICATED.withDescription("agent token missing: send 'authorization: Bearer <token>'"), new Metadata());
            return new ServerCall.Listener<>() {};
        }
        String token = auth.substring(7).trim();
        var agent = agents.authenticate(token);
        if (agent.isEmpty()) {
            refusals.refused(call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR), token, agents.refusalReason(token));
            call.close(Status.UNAUTHENTICATED.withDescription("unknown or revoked agent token"), new Metadata());
            return new ServerCall.Listener<>() {};
        }
        return Contexts.interceptCall(Context.current().withValue(AGENT_ID, agent.get().id()), call, headers, next);
    }
}
