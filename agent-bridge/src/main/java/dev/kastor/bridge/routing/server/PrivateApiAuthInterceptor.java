package dev.kastor.bridge.routing.server;

import dev.kastor.bridge.observability.Causes;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/**
 * Lets a private API call through only with a valid JWT ({@code authorization: Bearer <jwt>}) and an agent id
 * ({@code kastor-agent-id}); anything else ends before the service, so nothing reaches an agent.
 */
final class PrivateApiAuthInterceptor implements ServerInterceptor {
    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> AGENT_ID_HEADER = Metadata.Key.of("kastor-agent-id", Metadata.ASCII_STRING_MARSHALLER);
    static final Context.Key<Long> AGENT_ID = Context.key("kastor-routed-agent-id");

    private final PrivateApiJwt jwt;
    private final String ownUrl;

    /** {@code ownUrl}: this replica's {@code own_private_api_url}, which every token must name. */
    PrivateApiAuthInterceptor(PrivateApiJwt jwt, String ownUrl) {
        this.jwt = jwt;
        this.ownUrl = ownUrl;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String auth = headers.get(AUTHORIZATION);
        if (auth == null || !auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return refuse(call, Status.UNAUTHENTICATED.withDescription("private API call without a JWT: send 'authorization: Bearer <jwt>'"));
        }
        long agentId;
        try {
            agentId = Long.parseLong(String.valueOf(headers.get(AGENT_ID_HEADER)));
        } catch (NumberFormatException e) {
            return refuse(call, Status.INVALID_ARGUMENT.withDescription("private API call without a numeric kastor-agent-id"));
        }
        try {
            jwt.verify(auth.substring(7).trim(), ownUrl, agentId);
        } catch (PrivateApiJwt.InvalidToken e) {
            return refuse(call, Status.UNAUTHENTICATED.withDescription("private API call with an invalid JWT: " + Causes.describe(e)));
        }
        return Contexts.interceptCall(Context.current().withValue(AGENT_ID, agentId), call, headers, next);
    }

    private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, Status status) {
        call.close(status, new Metadata());
        return new ServerCall.Listener<>() {};
    }
}
