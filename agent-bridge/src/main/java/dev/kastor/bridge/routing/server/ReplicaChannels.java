package dev.kastor.bridge.routing.server;

import dev.kastor.bridge.routing.RoutingDefaults;
import dev.kastor.bridge.routing.rpc.PrivateApiGrpc;
import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.stub.MetadataUtils;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/** One gRPC channel per other replica's private API, made on first use; every call carries a fresh JWT. */
final class ReplicaChannels implements AutoCloseable {
    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
    private final PrivateApiJwt jwt;

    ReplicaChannels(PrivateApiJwt jwt) {
        this.jwt = jwt;
    }

    /** A fresh JWT per call, naming the replica called and the agent the call is about. */
    private CallCredentials credentials(String url, long agentId) {
        return new CallCredentials() {
            @Override
            public void applyRequestMetadata(RequestInfo requestInfo, Executor appExecutor, MetadataApplier applier) {
                var m = new Metadata();
                m.put(PrivateApiAuthInterceptor.AUTHORIZATION, "Bearer " + jwt.mint(url, agentId));
                applier.apply(m);
            }
        };
    }

    /** A stub for one call to the replica at {@code url} about {@code agentId}. */
    PrivateApiGrpc.PrivateApiStub stub(String url, long agentId) {
        var agent = new Metadata();
        agent.put(PrivateApiAuthInterceptor.AGENT_ID_HEADER, Long.toString(agentId));
        return PrivateApiGrpc.newStub(channels.computeIfAbsent(url, ReplicaChannels::open))
                .withCallCredentials(credentials(url, agentId))
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(agent));
    }

    private static ManagedChannel open(String url) {
        URI u = URI.create(url);
        var b = NettyChannelBuilder.forAddress(u.getHost(), u.getPort())
                .withOption(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) RoutingDefaults.REPLICA_CONNECT_TIMEOUT.toMillis())
                .keepAliveTime(30, TimeUnit.SECONDS)
                .keepAliveWithoutCalls(false);
        if ("grpcs".equals(u.getScheme())) {
            b.useTransportSecurity();
        } else {
            b.usePlaintext();
        }
        return b.build();
    }

    @Override
    public void close() {
        channels.values().forEach(ManagedChannel::shutdownNow);
        channels.clear();
    }
}
