package dev.kastor.bridge.kasapp;

import dev.kastor.bridge.agents.AgentStore;
import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.bridge.listener.GrpcConnectionsPerAddress;
import dev.kastor.bridge.listener.Handshake;
import dev.kastor.bridge.listener.ListenAddresses;
import dev.kastor.bridge.module.KasModule;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.bridge.tunnel.TunnelDefaults;
import dev.kastor.bridge.tunnel.server.AgentAuthInterceptor;
import dev.kastor.bridge.tunnel.server.RefusedTokenLog;
import dev.kastor.bridge.websocket.server.WebSocketFront;
import io.grpc.BindableService;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallExecutorSupplier;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.DefaultEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.local.LocalAddress;
import io.grpc.netty.shaded.io.netty.channel.local.LocalServerChannel;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The agent port ({@code listen.agent}): gRPC serving every module's agent services, each call only with a valid
 * agent token. With {@code websocket: true}, gRPC listens on loopback and the WebSocket front owns the port (as
 * GitLab's KAS, for agents behind proxies that pass only HTTP/1.1). Connections KAS made to receptive agents reach the
 * same services on in-process addresses ({@link #serveLocal}).
 */
final class AgentPort implements AutoCloseable {
    private final Server grpc;
    /** The port's owner when WebSocket is on, else null. */
    private final WebSocketFront websocket;
    /** The per-host bound and event loops when gRPC listens on the port itself; null behind the WebSocket front. */
    private final GrpcConnectionsPerAddress connections;
    private final List<KasModule> modules;
    private final Handshake handshake;
    private final AgentAuthInterceptor auth;
    /** The event loops of the in-process servers {@link #serveLocal} starts (threads start with the first one). */
    private final EventLoopGroup local = new DefaultEventLoopGroup(0, Thread.ofPlatform().name("agent-port-local").daemon().factory());
    /**
     * Where the agent services that do not run on the transport run: a fixed pool. gRPC's default is a cached pool,
     * which makes a thread for every call that finds the others busy: when thousands of agents reconnect at once
     * (KAS restarted), it made one per waiting call.
     */
    private final ExecutorService calls = Executors.newFixedThreadPool(TunnelDefaults.AGENT_CALL_THREADS,
            Thread.ofPlatform().name("kas-agent-calls-", 0).daemon().factory());

    AgentPort(KasConfig.Address listen, AgentStore agents, List<KasModule> modules, JsonLog log, Handshake handshake, int connectionsPerAddress)
            throws IOException, InterruptedException {
        this.modules = modules;
        this.handshake = handshake;
        this.auth = new AgentAuthInterceptor(agents, new RefusedTokenLog(log, TunnelDefaults.REFUSED_TOKEN_LOG_INTERVAL));
        var address = ListenAddresses.address(listen, "listen.agent");
        boolean behindWebSocket = listen.isWebsocket();
        var gb = configure(NettyServerBuilder.forAddress(behindWebSocket ? new InetSocketAddress(InetAddress.getLoopbackAddress(), 0) : address),
                handshake);
        addServices(gb, modules, List.of(auth), calls);
        if (listen.certificateFile() != null && !behindWebSocket) {
            gb.useTransportSecurity(new File(listen.certificateFile()), new File(listen.keyFile()));
        }
        // Behind the WebSocket front, the front bounds connections per host and gRPC keeps its own event loops.
        this.connections = behindWebSocket ? null : new GrpcConnectionsPerAddress(connectionsPerAddress);
        this.grpc = connections == null ? gb.build().start() : GrpcConnectionsPerAddress.start(connections.applyTo(gb, address));
        try {
            // the loopback port needs the same agent tokens as the public one: the services above check them
            this.websocket = behindWebSocket
                    ? new WebSocketFront(address, ListenAddresses.tls(listen), new InetSocketAddress(InetAddress.getLoopbackAddress(), grpc.getPort()),
                            log, handshake.timeout(), connectionsPerAddress)
                    : null;
        } catch (IOException | RuntimeException | InterruptedException e) {
            stopGrpc();
            throw e;
        }
    }

    /** What every agent-facing gRPC server of KAS shares: connection age, keepalive, and the bounds on silent clients. */
    private static NettyServerBuilder configure(NettyServerBuilder gb, Handshake handshake) {
        return gb.maxConnectionAge(TunnelDefaults.MAX_CONNECTION_AGE.toSeconds(), TimeUnit.SECONDS)
                .maxConnectionAgeGrace(TunnelDefaults.MAX_CONNECTION_AGE_GRACE.toSeconds(), TimeUnit.SECONDS)
                .permitKeepAliveTime(20, TimeUnit.SECONDS)
                .permitKeepAliveWithoutCalls(true)
                // a connection that never completes its handshake (silent, or trickling) is closed, not kept
                .handshakeTimeout(handshake.timeout().toMillis(), TimeUnit.MILLISECONDS)
                // an agent always holds tunnel streams: a connection without any call for this long is no agent's
                .maxConnectionIdle(TunnelDefaults.MAX_CONNECTION_IDLE.toSeconds(), TimeUnit.SECONDS);
    }

    /**
     * The same services on an in-process address ({@link dev.kastor.bridge.module.LocalAgentPort}): for connections KAS
     * made to receptive agents, relayed into it. The agent-token check runs first, then {@code afterAuth}.
     */
    AutoCloseable serveLocal(LocalAddress address, ServerInterceptor afterAuth) throws IOException {
        var gb = configure(NettyServerBuilder.forAddress(address), handshake)
                .channelType(LocalServerChannel.class).bossEventLoopGroup(local).workerEventLoopGroup(local);
        addServices(gb, modules, List.of(afterAuth, auth), calls);
        Server server = gb.build().start();
        return () -> GrpcConnectionsPerAddress.stop(server);
    }

    /**
     * Every module's agent services behind {@code interceptors} (the last one runs first: the agent-token check). Inline services run on the transport's event loop; the others
     * run on {@code calls}, so a slow one cannot stall the transport.
     */
    private static void addServices(NettyServerBuilder gb, List<KasModule> modules, List<ServerInterceptor> interceptors, Executor calls) {
        Set<String> inline = new HashSet<>();
        for (KasModule m : modules) {
            for (BindableService service : m.inlineAgentServices()) {
                var definition = service.bindService();
                inline.add(definition.getServiceDescriptor().getName());
                gb.addService(ServerInterceptors.intercept(definition, interceptors));
            }
            for (BindableService service : m.agentServices()) gb.addService(ServerInterceptors.intercept(service, interceptors));
        }
        gb.executor(calls).callExecutor(new ServerCallExecutorSupplier() {
            @Override
            public <Q, R> Executor getExecutor(ServerCall<Q, R> call, Metadata headers) {
                return inline.contains(call.getMethodDescriptor().getServiceName()) ? Runnable::run : null;
            }
        });
    }

    /** The TCP port bound (tests bind port 0); refused for a UNIX socket ({@link #address}). */
    int port() {
        return ListenAddresses.port(address());
    }

    /** What the agent port is bound to: a TCP address, or a UNIX socket's. */
    SocketAddress address() {
        return websocket != null ? websocket.address() : grpc.getListenSockets().getFirst();
    }

    @Override
    public void close() {
        if (websocket != null) websocket.close();
        stopGrpc();
    }

    private void stopGrpc() {
        GrpcConnectionsPerAddress.stop(grpc);
        if (connections != null) connections.close();
        local.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        calls.shutdownNow();
    }
}
