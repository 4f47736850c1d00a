package dev.kastor.bridge.kasapp;

import dev.kastor.bridge.agents.AgentStore;
import dev.kastor.bridge.agents.AgentStreams;
import dev.kastor.bridge.agents.RevocationSweep;
import dev.kastor.bridge.api.ApiEndpoint;
import dev.kastor.bridge.api.ApiLimits;
import dev.kastor.bridge.api.ApiResponse;
import dev.kastor.bridge.api.ApiServer;
import dev.kastor.bridge.config.server.ConfigServerModule;
import dev.kastor.bridge.flux.server.FluxServerModule;
import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.bridge.kubeapi.server.K8sProxyModule;
import dev.kastor.bridge.kubeapi.server.ProxyLimits;
import dev.kastor.bridge.listener.Handshake;
import dev.kastor.bridge.listener.ListenAddresses;
import dev.kastor.bridge.module.KasContext;
import dev.kastor.bridge.module.KasModule;
import dev.kastor.bridge.module.LocalAgentPort;
import dev.kastor.bridge.module.Parts;
import dev.kastor.bridge.module.Tunings;
import dev.kastor.bridge.observability.Causes;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.bridge.observability.ProxyMetrics;
import dev.kastor.bridge.receptive.server.ReceptiveServerModule;
import dev.kastor.bridge.registration.server.RegistrationServer;
import dev.kastor.bridge.routing.server.RoutingModule;
import dev.kastor.bridge.statuspage.server.StatusPageModule;
import dev.kastor.bridge.tunnel.TunnelDefaults;
import dev.kastor.bridge.tunnel.server.TunnelRegistry;
import dev.kastor.bridge.tunnel.server.TunnelServerModule;
import dev.kastor.bridge.useraccess.server.UserAccessModule;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A running {@code kastor-kas}: the agent port (gRPC), the API port (health, metrics, and the modules' endpoints),
 * and every feature's server half, built from {@link #MODULES}.
 */
public final class Kas implements AutoCloseable {
    /**
     * Every feature's server half, in the order they are built and started: a module finds the parts the modules
     * before it provide (the tunnel registry, routing's tunnel finder, the job authoriser).
     */
    static final List<KasModule.Factory> MODULES = List.of(
            TunnelServerModule::create,
            RoutingModule::create,
            ConfigServerModule::create,
            RegistrationServer::create,
            UserAccessModule::create,
            K8sProxyModule::create,
            FluxServerModule::create,
            ReceptiveServerModule::create,
            StatusPageModule::create);

    private final KasConfig config;
    private final AgentStore agents;
    private final Parts parts = new Parts();
    /** The modules built so far (all of them once started); a KAS that fails to start closes these. */
    private final List<KasModule> modules = new ArrayList<>();
    private final JsonLog log;
    private AgentPort agentPort;
    private ApiServer api;
    /** Ends connected agents' streams when they are revoked. */
    private RevocationSweep revocations;
    private volatile boolean started;

    /**
     * Bounds on clients that connect and say nothing (or too much): the k8s proxy's (as kube-apiserver's), how long a
     * connection to the agent port (gRPC, or the WebSocket front) or the private API may take to finish its TLS,
     * WebSocket and HTTP/2 handshakes and how many connections one host may hold there, and the API port's. Tests
     * shorten them; KAS runs with {@link #DEFAULTS}.
     */
    public record Tuning(ProxyLimits proxy, Duration agentHandshake, ApiLimits api, int agentConnectionsPerAddress) {
        public static final Tuning DEFAULTS = new Tuning(ProxyLimits.DEFAULTS, TunnelDefaults.HANDSHAKE_TIMEOUT, ApiLimits.DEFAULTS,
                TunnelDefaults.CONNECTIONS_PER_ADDRESS);

        /** The defaults, with the k8s proxy's limits and the handshake bound as given. */
        public Tuning(ProxyLimits proxy, Duration agentHandshake) {
            this(proxy, agentHandshake, ApiLimits.DEFAULTS, TunnelDefaults.CONNECTIONS_PER_ADDRESS);
        }

        /** What the modules tune themselves from. */
        Tunings forModules() {
            return Tunings.of(proxy, new Handshake(agentHandshake));
        }
    }

    private Kas(KasConfig config, JsonLog log, Tuning tuning) throws IOException, InterruptedException {
        this.config = config;
        this.log = log;
        this.agents = new AgentStore(Path.of(config.agentsFile()));
        // A port that cannot be bound, or a module that fails, must not leave the listeners already up holding theirs.
        try {
            var context = new KasContext(config, log, agents, tuning.forModules(), parts);
            for (var factory : MODULES) modules.add(factory.create(context));
            var listen = config.listen();
            // the config's bound, when it sets one, over the tuning's (tests shorten it; KAS runs with the default)
            int perAddress = listen.agent().connectionsPerAddress() != null ? listen.agent().connectionsPerAddress() : tuning.agentConnectionsPerAddress();
            this.agentPort = new AgentPort(listen.agent(), agents, modules, log, new Handshake(tuning.agentHandshake()), perAddress);
            parts.provide(LocalAgentPort.class, agentPort::serveLocal, "kas");
            this.revocations = new RevocationSweep(agents, agentStreams(), log, RevocationSweep.EVERY);
            this.api = new ApiServer(ListenAddresses.address(listen.api(), "listen.api"), ListenAddresses.tls(listen.api()),
                    apiEndpoints(), tuning.api(), log);
            for (KasModule m : modules) start(m);
        } catch (IOException | RuntimeException | InterruptedException e) {
            close();
            throw e;
        }
        started = true;
        log.info("kas started", Map.of("agent", ListenAddresses.describe(agentAddress()), "k8s_proxy", ListenAddresses.describe(k8sProxyAddress()),
                "api", ListenAddresses.describe(apiAddress()),
                "ci_access_mode", config.ciAccessMode()));
    }

    public static Kas start(KasConfig config, JsonLog log) throws IOException, InterruptedException {
        return new Kas(config, log, Tuning.DEFAULTS);
    }

    public static Kas start(KasConfig config, JsonLog log, Tuning tuning) throws IOException, InterruptedException {
        return new Kas(config, log, tuning);
    }

    private static void start(KasModule m) throws IOException {
        try {
            m.start();
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("KAS module " + m.name() + " failed to start: " + Causes.describe(e), e);
        }
    }

    /** The modules' long-lived agent calls, which a revocation ends (a token is checked only when a call starts). */
    private List<AgentStreams> agentStreams() {
        var streams = new ArrayList<AgentStreams>();
        for (KasModule m : modules) streams.addAll(m.agentStreams());
        return streams;
    }

    /** KAS's own API endpoints ({@code /healthz}, {@code /readyz}, {@code /metrics} in Prometheus text) and the modules'. */
    private Map<String, ApiEndpoint> apiEndpoints() {
        var endpoints = new HashMap<String, ApiEndpoint>();
        endpoints.put("/healthz", request -> ApiResponse.text(200, "ok\n"));
        endpoints.put("/readyz", request -> {
            var why = notReady();
            return ApiResponse.text(why.isPresent() ? 503 : 200, why.map(w -> "not ready: " + w + "\n").orElse("ok\n") + readyzNotes());
        });
        endpoints.put("/metrics", request -> {
            var sb = new StringBuilder();
            for (var m : modules) sb.append(m.prometheus());
            return ApiResponse.text(200, sb.toString());
        });
        for (var m : modules) {
            m.apiEndpoints().forEach((path, endpoint) -> {
                if (endpoints.putIfAbsent(path, endpoint) != null) {
                    throw new IllegalStateException("KAS module " + m.name() + " adds API path " + path + ", which another endpoint serves");
                }
            });
        }
        return endpoints;
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

    /** The modules' {@code /readyz} notes, a line each: what is wrong without keeping KAS from being ready. */
    private String readyzNotes() {
        var sb = new StringBuilder();
        for (KasModule m : modules) m.readyzNote().ifPresent(note -> sb.append(m.name()).append(": ").append(note).append('\n'));
        return sb.toString();
    }

    public RoutingModule routing() {
        return module(RoutingModule.class);
    }

    public KasConfig config() {
        return config;
    }

    public TunnelRegistry tunnels() {
        return parts.require(TunnelRegistry.class, "kas");
    }

    public ProxyMetrics metrics() {
        return parts.require(ProxyMetrics.class, "kas");
    }

    public AgentStore agents() {
        return agents;
    }

    /** The feature module of the given type (tests and other features reach a module's state this way). */
    public <M extends KasModule> M module(Class<M> type) {
        return modules.stream().filter(type::isInstance).map(type::cast).findFirst()
                .orElseThrow(() -> new IllegalStateException("no KAS module " + type.getSimpleName()));
    }

    /** The agent port's TCP port (tests bind port 0); refused when it is a UNIX socket, which has none: {@link #agentAddress}. */
    public int agentPort() {
        return agentPort.port();
    }

    /** What the agent port is bound to: a TCP address, or a UNIX socket's ({@code java.net.UnixDomainSocketAddress}). */
    public SocketAddress agentAddress() {
        return agentPort.address();
    }

    /** The k8s proxy's TCP port; refused when it is a UNIX socket: {@link #k8sProxyAddress}. */
    public int k8sProxyPort() {
        return module(K8sProxyModule.class).port();
    }

    public SocketAddress k8sProxyAddress() {
        return module(K8sProxyModule.class).address();
    }

    /** The API port's TCP port; refused when it is a UNIX socket: {@link #apiAddress}. */
    public int apiPort() {
        return api.port();
    }

    public SocketAddress apiAddress() {
        return api.address();
    }

    @Override
    public void close() {
        // Null-safe: a KAS that failed to start closes what it had started so far.
        if (revocations != null) revocations.close();
        for (KasModule m : modules.reversed()) m.close();
        if (api != null) api.close();
        if (agentPort != null) agentPort.close();
    }
}
