package dev.kastor.bridge.tunnel.server;

import dev.kastor.bridge.agents.AgentStore;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/** Authenticates every agent call by its token ({@code authorization: Bearer <token>}); the token is never logged. */
public final class AgentAuthInterceptor implements ServerInterceptor {
    static final Context.Key<Long> AGENT_ID = Context.key("kastor-agent-id");
    private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final AgentStore agents;

    public AgentAuthInterceptor(AgentStore agents) {
        this.agents = agents;
    }

    /** The authenticated agent of the current call (for other agent-facing services). */
    public static long agentId() {
        return AGENT_ID.get();
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String auth = headers.get(AUTHORIZATION);
        if (auth == null || !auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            call.close(Status.UNAUTHENTICATED.withDescription("agent token missing: send 'authorization: Bearer <token>'"), new Metadata());
            return new ServerCall.Listener<>() {};
        }
        var agent = agents.authenticate(auth.substring(7).trim());
        if (agent.isEmpty()) {
            call.close(Status.UNAUTHENTICATED.withDescription("unknown or revoked agent token"), new Metadata());
            return new ServerCall.Listener<>() {};
        }
        return Contexts.interceptCall(Context.current().withValue(AGENT_ID, agent.get().id()), call, headers, next);
    }
}
