package dev.kastor.bridge.agentapp;

import dev.kastor.bridge.config.agent.ConfigAgentModule;
import dev.kastor.bridge.flux.agent.FluxAgentModule;
import dev.kastor.bridge.kubeapi.agent.KubeApiAgentModule;
import dev.kastor.bridge.kubeapi.agent.KubeApiUpstream;
import dev.kastor.bridge.listener.UnixSocketChannels;
import dev.kastor.bridge.module.AgentContext;
import dev.kastor.bridge.module.AgentModule;
import dev.kastor.bridge.module.Backoff;
import dev.kastor.bridge.module.Parts;
import dev.kastor.bridge.module.Tunings;
import dev.kastor.bridge.observability.Causes;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.bridge.receptive.agent.ListenSettings;
import dev.kastor.bridge.receptive.agent.ReceptiveListener;
import dev.kastor.bridge.registration.agent.RegistrationAgent;
import dev.kastor.bridge.registration.agent.RegistrationSettings;
import dev.kastor.bridge.tunnel.agent.PoolSettings;
import dev.kastor.bridge.tunnel.agent.TunnelAgentModule;
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
import io.grpc.netty.shaded.io.netty.channel.local.LocalChannel;
import io.grpc.stub.MetadataUtils;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;

/**
 * A running {@code kastor-agent}: one gRPC connection to KAS (dialled, or made by KAS to a receptive agent), and every
 * feature's agent half on it, built from {@link #MODULES}.
 */
public final class Agent implements AutoCloseable {
    /**
     * Every feature's agent half, in the order they are built and started: a module finds the parts the modules
     * before it provide (the k8s API forwarder the tunnel serves with).
     */
    static final List<AgentModule.Factory> MODULES = List.of(
            KubeApiAgentModule::create,
            TunnelAgentModule::create,
            ConfigAgentModule::create,
            RegistrationAgent::create,
            FluxAgentModule::create);

    private final ManagedChannel channel;
    /** The WebSocket transport's loopback end (ws://, wss://) or the receptive listener; null for grpc:// and grpcs://. */
    private final AutoCloseable transport;
    /** The modules built so far (all of them once started); an agent that fails to start closes these. */
    private final List<AgentModule> modules = new ArrayList<>();

    private Agent(ManagedChannel channel, AutoCloseable transport) {
        this.transport = transport;
        this.channel = channel;
    }

    /**
     * Dials {@code kas} ({@code grpc://host:port}, {@code grpcs://host:port}, or gRPC over WebSocket with
     * {@code ws://host:port/path} / {@code wss://host/path}, or plain gRPC to a KAS on the same host at
     * {@code unix:///path.socket}; {@code caFile} trusts a private CA)
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
        if (!List.of("grpc", "grpcs", "ws", "wss", "unix").contains(String.valueOf(scheme))) {
            throw new IllegalArgumentException("--kas must be grpc://host:port, grpcs://host:port, ws://host:port/path, wss://host/path"
                    + " or unix:///path.socket, got " + kas);
        }
        WebSocketDialer dialer = scheme.startsWith("ws") ? dialWebSocket(kas, caFile, log) : null;
        var b = dialer != null
                // Plaintext HTTP/2 to the loopback end of the WebSocket; TLS, when wanted (wss), is the WebSocket's.
                ? NettyChannelBuilder.forAddress(dialer.address()).usePlaintext()
                : grpcChannel(kas, caFile);
        return start(b, dialer, token, upstream, settings, version, registration, log);
    }

    /**
     * An agent that KAS dials (a receptive agent): listens as {@code listen} says, and runs the same modules over
     * whichever connection KAS made, authenticated with the agent token as when it dials out. An agent that also dials
     * out is two of these in one process, as two replicas of one agent are.
     */
    public static Agent receptive(ListenSettings listen, Supplier<String> token, KubeApiUpstream upstream, PoolSettings settings, String version,
                                  RegistrationSettings registration, JsonLog log) throws InterruptedException {
        var listener = ReceptiveListener.start(listen, log);
        // Plaintext HTTP/2 to the listener's in-process end: TLS is the listener's, with KAS's client certificate checked.
        var b = NettyChannelBuilder.forAddress(listener.address()).channelType(LocalChannel.class).eventLoopGroup(listener.eventLoops())
                .overrideAuthority("kastor-kas").usePlaintext();
        var agent = start(b, listener, token, upstream, settings, version, registration, log);
        // KAS came back while the channel waits before its next attempt: the connection is here now.
        listener.onKasWaiting(agent.channel::resetConnectBackoff);
        return agent;
    }

    /**
     * An agent on a channel of the caller's making, with every module as {@code kastor-agent} runs them: the fleet
     * bench binds each of its thousands of agents to one of several local addresses, as a fleet's clusters reach KAS
     * from many addresses.
     */
    public static Agent start(NettyChannelBuilder channel, Supplier<String> token, KubeApiUpstream upstream, PoolSettings settings, String version,
                              RegistrationSettings registration, JsonLog log) {
        return start(channel, null, token, upstream, settings, version, registration, log);
    }

    private static Agent start(NettyChannelBuilder b, AutoCloseable transport, Supplier<String> token, KubeApiUpstream upstream,
                               PoolSettings settings, String version, RegistrationSettings registration, JsonLog log) {
        b.keepAliveTime(30, TimeUnit.SECONDS)
                .keepAliveWithoutCalls(true)
                .maxInboundMessageSize(8 * 1024 * 1024)
                .intercept(new TokenInterceptor(token));
        var agent = new Agent(b.build(), transport);
        var parts = new Parts();
        parts.provide(KubeApiUpstream.class, upstream, "agent");
        var tunings = Tunings.of(settings, registration, new Backoff(settings.backoffMin(), settings.backoffMax()));
        var context = new AgentContext(log, version, tunings, parts);
        try {
            for (var factory : MODULES) agent.modules.add(factory.create(context));
            for (AgentModule m : agent.modules) start(m, agent.channel);
        } catch (RuntimeException e) {
            agent.close();
            throw e;
        }
        return agent;
    }

    private static WebSocketDialer dialWebSocket(URI kas, File caFile, JsonLog log) {
        try {
            return WebSocketDialer.start(kas, caFile, log);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot set up the WebSocket transport to " + kas + ": " + Causes.describe(e), e);
        }
    }

    private static NettyChannelBuilder grpcChannel(URI kas, File caFile) throws SSLException {
        if (UnixSocketChannels.isUnix(kas)) return UnixSocketChannels.builder(kas);
        boolean tls = "grpcs".equals(kas.getScheme());
        var b = NettyChannelBuilder.forAddress(kas.getHost(), kas.getPort() > 0 ? kas.getPort() : tls ? 443 : 8150);
        if (!tls) return b.usePlaintext();
        var ssl = GrpcSslContexts.forClient();
        if (caFile != null) ssl.trustManager(caFile);
        return b.sslContext(ssl.build());
    }

    private static void start(AgentModule m, ManagedChannel kas) {
        try {
            m.start(kas);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("agent module " + m.name() + " failed to start: " + Causes.describe(e), e);
        }
    }

    /** The tunnel's pool of streams to KAS. */
    public TunnelPool pool() {
        return module(TunnelAgentModule.class).pool();
    }

    /** The feature module of the given type (e.g. {@code ConfigAgentModule} for the current configuration). */
    public <M extends AgentModule> M module(Class<M> type) {
        return modules.stream().filter(type::isInstance).map(type::cast).findFirst()
                .orElseThrow(() -> new IllegalStateException("no agent module " + type.getSimpleName()));
    }

    @Override
    public void close() {
        for (AgentModule m : modules.reversed()) m.close();
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
