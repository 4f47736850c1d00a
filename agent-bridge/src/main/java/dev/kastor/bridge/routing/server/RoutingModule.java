package dev.kastor.bridge.routing.server;

import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.bridge.listener.GrpcConnectionsPerAddress;
import dev.kastor.bridge.listener.Handshake;
import dev.kastor.bridge.listener.ListenAddresses;
import dev.kastor.bridge.module.KasContext;
import dev.kastor.bridge.module.KasModule;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.bridge.observability.ProxyMetrics;
import dev.kastor.bridge.routing.RoutingDefaults;
import dev.kastor.bridge.tunnel.server.TunnelFinder;
import dev.kastor.bridge.tunnel.server.TunnelRegistry;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.File;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Multi-replica KAS: with a {@code redis} section, this replica records in Redis which agents it holds, serves the
 * private API to the other replicas, and its k8s proxy reaches agents held elsewhere through theirs. Without one
 * (a single node) it only hands the k8s proxy the local finder: no Redis, no private API port.
 */
public final class RoutingModule implements KasModule {
    private static final String NAME = "routing";
    private final KasConfig config;
    private final TunnelRegistry tunnels;
    private final JsonLog log;
    private final TunnelFinder finder;
    private final RedisTracker tracker;
    private final ReplicaChannels replicas;
    private final PrivateApiJwt jwt;
    private final ExecutorService waits = Executors.newVirtualThreadPerTaskExecutor();
    private volatile Server privateApi;

    private final Duration handshakeTimeout;
    /** The private API's per-host bound and event loops; only with several replicas. */
    private GrpcConnectionsPerAddress connections;

    /**
     * Builds the module over the tunnel feature's registry and provides the {@link TunnelFinder} the k8s proxy takes
     * tunnels from: this replica's own on a single node, every replica's with a {@code redis} section.
     */
    public static KasModule create(KasContext context) {
        var parts = context.parts();
        var routing = new RoutingModule(context.config(), parts.require(TunnelRegistry.class, NAME), parts.require(ProxyMetrics.class, NAME),
                context.log(), context.tunings().or(Handshake.DEFAULT).timeout());
        parts.provide(TunnelFinder.class, routing.finder, NAME);
        if (routing.tracker != null) {
            parts.provide(AgentReplicas.class, routing.agentReplicas(), NAME);
            parts.provide(SharedRegistrations.class, routing.sharedRegistrations(), NAME);
        }
        return routing;
    }

    /** @param handshakeTimeout how long a private API connection may take to finish its TLS and HTTP/2 handshake */
    private RoutingModule(KasConfig config, TunnelRegistry tunnels, ProxyMetrics metrics, JsonLog log, Duration handshakeTimeout) {
        this.handshakeTimeout = handshakeTimeout;
        this.config = config;
        this.tunnels = tunnels;
        this.log = log;
        if (config.redis() == null) {
            this.tracker = null;
            this.replicas = null;
            this.jwt = null;
            this.finder = TunnelFinder.local(tunnels);
        } else {
            this.jwt = new PrivateApiJwt(config.privateApiSecretKey(), Clock.systemUTC());
            this.tracker = new RedisTracker(config.redis(), advertised(config), tunnels, log);
            this.replicas = new ReplicaChannels(jwt, config.listen().privateApi().caCertificateFile());
            this.finder = new RoutingTunnelFinder(tunnels, tracker, replicas, metrics, log);
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void start() throws IOException {
        if (tracker == null) return;
        var listen = config.listen().privateApi();
        var address = ListenAddresses.address(listen, "listen.private_api");
        var b = NettyServerBuilder.forAddress(address)
                .permitKeepAliveTime(20, TimeUnit.SECONDS)
                // a connection that never completes its handshake (silent, or trickling) is closed, not kept
                .handshakeTimeout(handshakeTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .maxConnectionIdle(RoutingDefaults.PRIVATE_API_CONNECTION_IDLE.toSeconds(), TimeUnit.SECONDS)
                .addService(ServerInterceptors.intercept(new PrivateApiService(tunnels, waits, advertised(config), log),
                        new PrivateApiAuthInterceptor(jwt, advertised(config))));
        if (listen.certificateFile() != null) b.useTransportSecurity(new File(listen.certificateFile()), new File(listen.keyFile()));
        connections = new GrpcConnectionsPerAddress(RoutingDefaults.PRIVATE_API_CONNECTIONS_PER_ADDRESS);
        privateApi = GrpcConnectionsPerAddress.start(connections.applyTo(b, address));
        // Advertise this replica only once the others can reach it.
        tracker.start();
        log.info("multi-replica routing started", Map.of("private_api", ListenAddresses.describe(privateApi.getListenSockets().getFirst()),
                "own_private_api_url", advertised(config), "redis_key_prefix", config.redis().keyPrefix()));
    }

    /** How this replica is named in the tracker and in the tokens the others send it ({@link PrivateApiAddress}). */
    private static String advertised(KasConfig config) {
        return new PrivateApiAddress(config.ownPrivateApiUrl(), config.ownPrivateApiHost()).advertised();
    }

    private SharedRegistrations sharedRegistrations() {
        var redis = tracker;
        return new SharedRegistrations() {
            @Override
            public void put(long agentId, String instanceId, String value, Duration keep) {
                redis.putRegistration(agentId, instanceId, value, keep);
            }

            @Override
            public Map<String, String> of(long agentId) throws AgentReplicas.Unreachable {
                try {
                    return redis.registrations(agentId);
                } catch (AgentTracker.Unavailable e) {
                    throw new AgentReplicas.Unreachable(e.getMessage());
                }
            }
        };
    }

    private AgentReplicas agentReplicas() {
        String self = advertised(config);
        return new AgentReplicas() {
            @Override
            public String self() {
                return self;
            }

            @Override
            public java.util.List<String> elsewhere(long agentId) throws Unreachable {
                try {
                    return tracker.replicasOf(agentId);
                } catch (AgentTracker.Unavailable e) {
                    throw new Unreachable(e.getMessage());
                }
            }
        };
    }

    /** The private API's port (for tests binding port 0), or -1 on a single node or a UNIX socket. */
    public int privateApiPort() {
        Server s = privateApi;
        return s == null ? -1 : s.getPort();
    }

    @Override
    public Optional<String> notReady() {
        return tracker == null ? Optional.empty() : tracker.notReady();
    }

    @Override
    public void close() {
        if (tracker != null) tracker.close();
        Server s = privateApi;
        if (s != null) GrpcConnectionsPerAddress.stop(s);
        if (replicas != null) replicas.close();
        waits.shutdownNow();
        if (connections != null) connections.close();
    }
}
