package dev.kastor.bridge.agent;

import dev.kastor.bridge.config.agent.ConfigAgentModule;
import dev.kastor.bridge.kubeapi.agent.KubeApiForwarder;
import dev.kastor.bridge.kubeapi.agent.KubeApiUpstream;
import dev.kastor.bridge.module.AgentModule;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.bridge.tunnel.agent.PoolSettings;
import dev.kastor.bridge.tunnel.agent.TunnelPool;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.io.File;
import java.net.URI;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;

/** A running {@code kastor-agent}: one gRPC connection to KAS, a pool of tunnel streams, the k8s API forwarder. */
public final class Agent implements AutoCloseable {
    private final ManagedChannel channel;
    private final TunnelPool pool;
    /** Every feature's agent half besides the tunnel: one line each (see {@link AgentModule}). */
    private final List<AgentModule> modules;

    private Agent(ManagedChannel channel, TunnelPool pool, List<AgentModule> modules) {
        this.channel = channel;
        this.pool = pool;
        this.modules = modules;
    }

    /**
     * Dials {@code kas} ({@code grpc://host:port} or {@code grpcs://host:port}; {@code caFile} trusts a private CA)
     * and starts serving. The token supplier is asked on every call, so a rotated token file is picked up.
     */
    public static Agent start(URI kas, File caFile, Supplier<String> token, KubeApiUpstream upstream, PoolSettings settings, String version)
            throws SSLException {
        return start(kas, caFile, token, upstream, settings, version, new JsonLog(System.err, "agent"));
    }

    /** As above, logging to {@code log} (whose debug switch follows the agent config's observability.logging.level). */
    public static Agent start(URI kas, File caFile, Supplier<String> token, KubeApiUpstream upstream, PoolSettings settings, String version,
                              JsonLog log) throws SSLException {
        String scheme = kas.getScheme();
        if (!"grpc".equals(scheme) && !"grpcs".equals(scheme)) {
            throw new IllegalArgumentException("--kas must be grpc://host:port or grpcs://host:port, got " + kas);
        }
        int port = kas.getPort() > 0 ? kas.getPort() : ("grpcs".equals(scheme) ? 443 : 8150);
        var b = NettyChannelBuilder.forAddress(kas.getHost(), port)
                .keepAliveTime(30, TimeUnit.SECONDS)
                .keepAliveWithoutCalls(true)
                .maxInboundMessageSize(8 * 1024 * 1024)
                .intercept(new TokenInterceptor(token));
        if ("grpcs".equals(scheme)) {
            var ssl = GrpcSslContexts.forClient();
            if (caFile != null) ssl.trustManager(caFile);
            b.sslContext(ssl.build());
        } else {
            b.usePlaintext();
        }
        ManagedChannel channel = b.build();
        var pool = new TunnelPool(channel, new KubeApiForwarder(upstream), settings, version);
        pool.start();
        List<AgentModule> modules = List.of(new ConfigAgentModule(log, settings.backoffMin(), settings.backoffMax()));
        var agent = new Agent(channel, pool, modules);
        for (AgentModule m : modules) {
            try {
                m.start(channel);
            } catch (Exception e) {
                agent.close();
                throw new IllegalStateException("agent module " + m.name() + " failed to start: " + e.getMessage(), e);
            }
        }
        return agent;
    }

    public TunnelPool pool() {
        return pool;
    }

    /** The feature module of the given type (e.g. {@code ConfigAgentModule} for the current configuration). */
    public <M extends AgentModule> M module(Class<M> type) {
        return modules.stream().filter(type::isInstance).map(type::cast).findFirst()
                .orElseThrow(() -> new IllegalStateException("no agent module " + type.getSimpleName()));
    }

    @Override
    public void close() {
        for (AgentModule m : modules.reversed()) m.close();
        pool.close();
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Sends {@code authorization: Bearer <token>} on every call; the token never reaches a log. */
    private static final class TokenInterceptor implements io.grpc.ClientInterceptor {
        private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
        private final Supplier<String> token;

        TokenInterceptor(Supplier<String> token) {
            this.token = token;
        }

        @Override
        public <Q, R> io.grpc.ClientCall<Q, R> interceptCall(io.grpc.MethodDescriptor<Q, R> method, io.grpc.CallOptions options,
                                                           io.grpc.Channel next) {
            var md = new Metadata();
            md.put(AUTHORIZATION, "Bearer " + token.get());
            return MetadataUtils.newAttachHeadersInterceptor(md).interceptCall(method, options, next);
        }
    }

}
