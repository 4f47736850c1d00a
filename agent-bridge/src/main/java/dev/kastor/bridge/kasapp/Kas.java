package dev.kastor.bridge.kasapp;

import dev.kastor.bridge.agents.AgentStore;
import dev.kastor.bridge.agents.AgentStreams;
import dev.kastor.bridge.agents.RevocationSweep;
import dev.kastor.bridge.api.ApiEndpoint;
import dev.kastor.bridge.api.ApiLimits;
import dev.kastor.bridge.api.ApiResponse;
import dev.kastor.bridge.api.ApiServer;
import dev.kastor.bridge.config.server.ConfigServerModule;
import dev.kastor.bridge.config.server.StandaloneJobAuthorizer;
import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.bridge.kubeapi.server.GitLabJobAuthorizer;
import dev.kastor.bridge.kubeapi.server.JobAuthorizer;
import dev.kastor.bridge.kubeapi.server.K8sProxyServer;
import dev.kastor.bridge.kubeapi.server.LocalJobsAuthorizer;
import dev.kastor.bridge.kubeapi.server.ProxyLimits;
import dev.kastor.bridge.listener.GrpcConnectionsPerAddress;
import dev.kastor.bridge.module.KasModule;
import dev.kastor.bridge.observability.Causes;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.bridge.observability.ProxyMetrics;
import dev.kastor.bridge.registration.server.RegistrationServer;
import dev.kastor.bridge.routing.server.RoutingModule;
import dev.kastor.bridge.tunnel.TunnelDefaults;
import dev.kastor.bridge.tunnel.server.AgentAuthInterceptor;
import dev.kastor.bridge.tunnel.server.RefusedTokenLog;
import dev.kastor.bridge.tunnel.server.TunnelRegistry;
import dev.kastor.bridge.tunnel.server.TunnelService;
import dev.kastor.bridge.websocket.server.WebSocketFront;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallExecutorSupplier;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/** A running {@code kastor-kas}: the agent port (gRPC), the k8s proxy, and the API port (health, metrics, job agents). */
public final class Kas implements AutoCloseable {
    private final KasConfig config;
    private final TunnelRegistry tunnels = new TunnelRegistry();
    private final ProxyMetrics metrics = new ProxyMetrics(tunnels::connectedAgents, tunnels::openTunnels);
    private final AgentStore agents;
    private final Server grpc;
    /** The agent port when {@code listen.agent.websocket} is on (gRPC then sits behind it on loopback), else null. */
    private final WebSocketFront websocket;
    private final K8sProxyServer proxy;
    private final ApiServer api;
    private final JsonLog log;
    /** Every feature's server half besides the tunnel and the k8s proxy: one line each (see {@link KasModule}). */
    private final List<KasModule> modules;
    private final RoutingModule routing;
    /** Ends connected agents' streams when they are revoked; null until the agent listener is up. */
    private final RevocationSweep revocations;
    /** The agent port's per-host bound and event loops when gRPC listens there itself; null behind the WebSocket front. */
    private final GrpcConnectionsPerAddress agentConnections;
    private volatile boolean started;

    /**
     * Bounds on clients that connect and say nothing (or too much): the k8s proxy's (as kube-apiserver's), how long a
     * connection to the agent port (gRPC, or the WebSocket front) or the private API may take to finish its TLS,
     * WebSocket and HTTP/2 handshakes and how many connections one host may hold there, and the API port's. Tests shorten them; KAS runs with {@link #DEFAULTS}.
     */
    public record Tuning(ProxyLimits proxy, Duration agentHandshake, ApiLimits api, int agentConnectionsPerAddress) {
        public static final Tuning DEFAULTS = new Tuning(ProxyLimits.DEFAULTS, TunnelDefaults.HANDSHAKE_TIMEOUT, ApiLimits.DEFAULTS,
                TunnelDefaults.CONNECTIONS_PER_ADDRESS);

        /** The defaults, with the k8s proxy's limits and the handshake bound as given. */
        public Tuning(ProxyLimits proxy, Duration agentHandshake) {
            this(proxy, agentHandshake, ApiLimits.DEFAULTS, TunnelDefaults.CONNECTIONS_PER_ADDRESS);
        }
    }

    private Kas(KasConfig config, JsonLog log, Tuning tuning) throws IOException, InterruptedException {
        this.config = config;
        this.log = log;
        this.agents = new AgentStore(Path.of(config.agentsFile()));
        var agentConfig = new ConfigServerModule(config.agentConfiguration(), agents, log);
        this.routing = new RoutingModule(config, tunnels, metrics, log, tuning.agentHandshake());
        this.modules = List.of(routing, agentConfig, new RegistrationServer(agents, log, config.apiSecretKey()));
        // A port that cannot be bound, or a module that fails, must not leave the listeners already up holding theirs.
        try {
            var listen = config.listen();
            var agentAddr = address(listen.agent().address());
            boolean websocket = listen.agent().isWebsocket();
            // With the WebSocket transport, gRPC listens on loopback only and the WebSocket front owns the agent port;
            // the loopback port needs the same agent tokens as the public one.
            var refusals = new RefusedTokenLog(log, TunnelDefaults.REFUSED_TOKEN_LOG_INTERVAL);
            var gb = NettyServerBuilder.forAddress(websocket ? new InetSocketAddress(InetAddress.getLoopbackAddress(), 0) : agentAddr)
                    .maxConnectionAge(TunnelDefaults.MAX_CONNECTION_AGE.toSeconds(), TimeUnit.SECONDS)
                    .maxConnectionAgeGrace(TunnelDefaults.MAX_CONNECTION_AGE_GRACE.toSeconds(), TimeUnit.SECONDS)
                    .permitKeepAliveTime(20, TimeUnit.SECONDS)
                    .permitKeepAliveWithoutCalls(true)
                    // a connection that never completes its handshake (silent, or trickling) is closed, not kept
                    .handshakeTimeout(tuning.agentHandshake().toMillis(), TimeUnit.MILLISECONDS)
                    // an agent always holds tunnel streams: a connection without any call for this long is no agent's
                    .maxConnectionIdle(TunnelDefaults.MAX_CONNECTION_IDLE.toSeconds(), TimeUnit.SECONDS)
                    // Tunnel frames are only handed on (to a Netty event loop), never blocked on: no executor hop for them.
                    // Other agent-facing services keep gRPC's default executor, so a slow one cannot stall the transport.
                    .callExecutor(new ServerCallExecutorSupplier() {
                        @Override
                        public <Q, R> Executor getExecutor(ServerCall<Q, R> call, Metadata headers) {
                            return call.getMethodDescriptor().getServiceName().equals(dev.kastor.bridge.tunnel.rpc.ReverseTunnelGrpc.SERVICE_NAME)
                                    ? Runnable::run : null;
                        }
                    })
                    .addService(ServerInterceptors.intercept(new TunnelService(tunnels), new AgentAuthInterceptor(agents, refusals)));
            for (KasModule m : modules) {
                for (var service : m.agentServices()) gb.addService(ServerInterceptors.intercept(service, new AgentAuthInterceptor(agents, refusals)));
            }
            if (listen.agent().certificateFile() != null && !websocket) {
                gb.useTransportSecurity(new File(listen.agent().certificateFile()), new File(listen.agent().keyFile()));
            }
            // Behind the WebSocket front, the front bounds connections per host and gRPC keeps its own event loops.
            this.agentConnections = websocket ? null : new GrpcConnectionsPerAddress(tuning.agentConnectionsPerAddress());
            if (agentConnections != null) gb = agentConnections.applyTo(gb);
            this.grpc = gb.build().start();
            var revocable = new ArrayList<AgentStreams>(List.of(tunnels));
            for (KasModule m : modules) revocable.addAll(m.agentStreams());
            this.revocations = new RevocationSweep(agents, revocable, log, RevocationSweep.EVERY);
            this.websocket = websocket
                    ? new WebSocketFront(agentAddr, tls(listen.agent()), new InetSocketAddress(InetAddress.getLoopbackAddress(), grpc.getPort()), log,
                            tuning.agentHandshake(), tuning.agentConnectionsPerAddress())
                    : null;
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
            JobAuthorizer authorizer;
            if (config.gitlab().local()) {
                var local = LocalJobsAuthorizer.load(Path.of(config.gitlab().localJobsFile()));
                authorizer = local;
                log.warn("CI jobs are let in from gitlab.local_jobs_file, not by GitLab: for trying KAS, never for clusters others can reach",
                        Map.of("file", config.gitlab().localJobsFile(), "jobs", local.size()));
            } else if (config.standaloneCiAccess()) {
                authorizer = new StandaloneJobAuthorizer(URI.create(config.gitlab().url()), http, agents, agentConfig.configurations());
            } else {
                authorizer = new GitLabJobAuthorizer(URI.create(config.gitlab().url()), http);
            }
            this.proxy = new K8sProxyServer(address(listen.k8sProxy().address()), tls(listen.k8sProxy()), listen.k8sProxy().prefix(),
                    authorizer, routing.finder(), metrics, log, tuning.proxy());
            this.api = new ApiServer(address(listen.api().address()), tls(listen.api()),
                    apiEndpoints(new JobAgentsEndpoint(authorizer, agents, k8sProxyUrl(config, tls(listen.k8sProxy()) != null, proxy.port()))),
                    tuning.api(), log);
            for (KasModule m : modules) {
                try {
                    m.start();
                } catch (IOException | RuntimeException e) {
                    throw e;
                } catch (Exception e) {
                    throw new IllegalStateException("KAS module " + m.name() + " failed to start: " + Causes.describe(e), e);
                }
            }
        } catch (IOException | RuntimeException | InterruptedException e) {
            close();
            throw e;
        }
        started = true;
        log.info("kas started", Map.of("agent_port", agentPort(), "k8s_proxy_port", k8sProxyPort(), "api_port", apiPort(),
                "ci_access_mode", config.ciAccessMode()));
    }

    public static Kas start(KasConfig config, JsonLog log) throws IOException, InterruptedException {
        return new Kas(config, log, Tuning.DEFAULTS);
    }

    public static Kas start(KasConfig config, JsonLog log, Tuning tuning) throws IOException, InterruptedException {
        return new Kas(config, log, tuning);
    }

    /** What jobs' KUBECONFIG points at: the configured external URL, else this KAS's own k8s proxy address. */
    private static String k8sProxyUrl(KasConfig config, boolean tls, int port) {
        if (config.externalK8sProxyUrl() != null) return config.externalK8sProxyUrl();
        String host = config.listen().k8sProxy().address();
        host = host.substring(0, host.lastIndexOf(':'));
        if (host.isEmpty() || host.equals("0.0.0.0")) host = "127.0.0.1";
        return (tls ? "https" : "http") + "://" + host + ":" + port + config.listen().k8sProxy().prefix();
    }

    /**
     * KAS's own API endpoints ({@code /healthz}, {@code /readyz}, {@code /metrics} in Prometheus text,
     * {@code /api/v1/job/agents}) and those the modules add (the config push webhook, the registered agents).
     */
    private Map<String, ApiEndpoint> apiEndpoints(JobAgentsEndpoint jobAgents) {
        var endpoints = new HashMap<String, ApiEndpoint>();
        endpoints.put("/healthz", request -> ApiResponse.text(200, "ok\n"));
        endpoints.put("/readyz", request -> {
            var why = notReady();
            return ApiResponse.text(why.isPresent() ? 503 : 200, why.map(w -> "not ready: " + w + "\n").orElse("ok\n"));
        });
        endpoints.put("/metrics", request -> {
            var sb = new StringBuilder(metrics.prometheus());
            for (var m : modules) sb.append(m.prometheus());
            return ApiResponse.text(200, sb.toString());
        });
        endpoints.put("/api/v1/job/agents", jobAgents);
        for (var m : modules) {
            m.apiEndpoints().forEach((path, endpoint) -> {
                if (endpoints.putIfAbsent(path, endpoint) != null) {
                    throw new IllegalStateException("KAS module " + m.name() + " adds API path " + path + ", which another endpoint serves");
                }
            });
        }
        return endpoints;
    }

    private static SslContext tls(KasConfig.Address a) throws IOException {
        if (a.certificateFile() == null) return null;
        return SslContextBuilder.forServer(new File(a.certificateFile()), new File(a.keyFile())).build();
    }

    static InetSocketAddress address(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        if (colon < 0) throw new IllegalArgumentException("listen address " + hostPort + " has no port (host:port)");
        String host = hostPort.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
        return new InetSocketAddress(host.isEmpty() ? "0.0.0.0" : host, Integer.parseInt(hostPort.substring(colon + 1)));
    }

    /** Why KAS is not ready for traffic ({@code /readyz} 503), or empty: listeners up and every module fine. */
    public Optional<String> notReady() {
        if (!started) return Optional.of("starting");
        for (KasModule m : modules) {
            var why = m.notReady();
            if (why.isPresent()) return Optional.of(m.name() + ": " + why.get());
        }
        return Optional.empty();
    }

    public RoutingModule routing() {
        return routing;
    }

    public KasConfig config() {
        return config;
    }

    public TunnelRegistry tunnels() {
        return tunnels;
    }

    public ProxyMetrics metrics() {
        return metrics;
    }

    public AgentStore agents() {
        return agents;
    }

    List<KasModule> modules() {
        return modules;
    }

    /** The feature module of the given type (tests and other features reach a module's state this way). */
    public <M extends KasModule> M module(Class<M> type) {
        return modules.stream().filter(type::isInstance).map(type::cast).findFirst()
                .orElseThrow(() -> new IllegalStateException("no KAS module " + type.getSimpleName()));
    }

    public int agentPort() {
        return websocket != null ? websocket.port() : grpc.getPort();
    }

    public int k8sProxyPort() {
        return proxy.port();
    }

    public int apiPort() {
        return api.port();
    }

    @Override
    public void close() {
        // Null-safe: a KAS that failed to start closes what it had started so far.
        if (revocations != null) revocations.close();
        if (modules != null) for (KasModule m : modules.reversed()) m.close();
        if (api != null) api.close();
        if (proxy != null) proxy.close();
        if (websocket != null) websocket.close();
        if (grpc != null) {
            grpc.shutdownNow();
            try {
                grpc.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (agentConnections != null) agentConnections.close();
    }
}
