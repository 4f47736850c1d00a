package dev.kastor.bridge.agentapp;

import dev.kastor.bridge.config.agent.ConfigAgentModule;
import dev.kastor.bridge.kubeapi.agent.KubeApiForwarder;
import dev.kastor.bridge.kubeapi.agent.KubeApiUpstream;
import dev.kastor.bridge.module.AgentModule;
import dev.kastor.bridge.observability.Causes;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.bridge.registration.agent.RegistrationAgent;
import dev.kastor.bridge.registration.agent.RegistrationSettings;
import dev.kastor.bridge.tunnel.agent.PoolSettings;
import dev.kastor.bridge.tunnel.agent.TunnelPool;
import dev.kastor.bridge.websocket.agent.WebSocketDialer;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;

/** A running {@code kastor-agent}: one gRPC connection to KAS, a pool of tunnel streams, the k8s API forwarder. */
public final class Agent implements AutoCloseable {
    private final ManagedChannel channel;
    /** The WebSocket transport's loopback end when KAS is dialled with ws:// or wss://, else null. */
    private final AutoCloseable transport;
    private final TunnelPool pool;
    /** Every feature's agent half besides the tunnel: one line each (see {@link AgentModule}). */
    private final List<AgentModule> modules;

    private Agent(ManagedChannel channel, TunnelPool pool, List<AgentModule> modules, AutoCloseable transport) {
        this.transport = transport;
        this.channel = channel;
        this.pool = pool;
        this.modules = modules;
    }

    /**
     * Dials {@code kas} ({@code grpc://host:port}, {@code grpcs://host:port}, or gRPC over WebSocket with
     * {@code ws://host:port/path} / {@code wss://host/path}; {@code caFile} trusts a private CA)
     * and starts serving. The token supplier is asked on every call, so a rotated token file is picked up.
     */
    public static Agent start(URI kas, File caFile, Supplier<String> token, KubeApiUpstream upstream, PoolSettings settings, String version)
            throws SSLException {
        return start(kas, caFile, token, upstream, settings, version, RegistrationSettings.defaults(), new JsonLog(System.err, "agent"));
    }

    /**
     * As above, with the registration's timing (tests shorten its period) and logging to {@code log}, whose debug
     * switch follows the agent config's observability.logging.level.
     */
    public static Agent start(URI kas, File caFile, Supplier<String> token, KubeApiUpstream upstream, PoolSettings settings, String version,
                              RegistrationSettings registration, JsonLog log) throws SSLException {
        String scheme = kas.getScheme();
        if (!List.of("grpc", "grpcs", "ws", "wss").contains(String.valueOf(scheme))) {
            throw new IllegalArgumentException("--kas must be grpc://host:port, grpcs://host:port, ws://host:port/path or wss://host/path, got " + kas);
        }
        boolean websocket = scheme.startsWith("ws");
        WebSocketDialer dialer = null;
        NettyChannelBuilder b;
        if (websocket) {
            try {
                dialer = WebSocketDialer.start(kas, caFile, log);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot set up the WebSocket transport to " + kas + ": " + Causes.describe(e), e);
            }
            // Plaintext HTTP/2 to the loopback end of the WebSocket; TLS, when wanted (wss), is the WebSocket's.
            b = NettyChannelBuilder.forAddress(dialer.address()).usePlaintext();
        } else {
            int port = kas.getPort() > 0 ? kas.getPort() : ("grpcs".equals(scheme) ? 443 : 8150);
            b = NettyChannelBuilder.forAddress(kas.getHost(), port);
            if ("grpcs".equals(scheme)) {
                var ssl = GrpcSslContexts.forClient();
                if (caFile != null) ssl.trustManager(caFile);
                b.sslContext(ssl.build());
            } else {
                b.usePlaintext();
            }
        }
        b.keepAliveTime(30, TimeUnit.SECONDS)
                .keepAliveWithoutCalls(true)
                .maxInboundMessageSize(8 * 1024 * 1024)
                .intercept(new TokenInterceptor(token));
        ManagedChannel channel = b.build();
        var pool = new TunnelPool(channel, new KubeApiForwarder(upstream), settings, version);
        pool.start();
        List<AgentModule> modules = List.of(
                new ConfigAgentModule(log, settings.backoffMin(), settings.backoffMax()),
                new RegistrationAgent(upstream, version, registration, log));
        var agent = new Agent(channel, pool, modules, dialer);
        for (AgentModule m : modules) {
            try {
                m.start(channel);
            } catch (Exception e) {
                agent.close();
                throw new IllegalStateException("agent module " + m.name() + " failed to start: " + Causes.describe(e), e);
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
        if (transport != null) {
            try {
                transport.close();
            } catch (Exception ignored) {
                // stopping anyway
            }
        }
    }

    /** Sends {@code authorization: Bearer <token>} on every call; the token never reaches a log. */
    private static final class TokenInterceptor implements ClientInterceptor {
        private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
        private final Supplier<String> token;

        TokenInterceptor(Supplier<String> token) {
            this.token = token;
        }

        @Override
        public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options,
                                                           Channel next) {
            var md = new Metadata();
            md.put(AUTHORIZATION, "Bearer " + token.get());
            return MetadataUtils.newAttachHeadersInterceptor(md).interceptCall(method, options, next);
        }
    }

}
