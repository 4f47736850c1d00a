package dev.kastor.bridge;

import dev.kastor.bridge.agentapp.Agent;
import dev.kastor.bridge.agents.AgentStore;
import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.bridge.kubeapi.agent.KubeApiUpstream;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.bridge.registration.agent.RegistrationSettings;
import dev.kastor.bridge.kasapp.Kas;
import dev.kastor.bridge.tunnel.agent.PoolSettings;
import dev.kastor.testing.Eventually;
import dev.kastor.testing.GitLabApiStandIn;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;

/**
 * A whole bridge on loopback for tests: the GitLab API stand-in, a real KAS (agent port, k8s proxy, API port) and
 * real agents dialling it, forwarding to an upstream of the test's choice. Both halves run in this JVM but talk
 * over real sockets (gRPC over TCP, HTTP over TCP).
 */
public final class Bridge implements AutoCloseable {
    public static final String SECRET = Base64.getEncoder().encodeToString(new byte[32]);

    public final GitLabApiStandIn gitlab;
    public final ByteArrayOutputStream logs = new ByteArrayOutputStream();
    public final Kas kas;
    private final boolean tls;
    private final boolean httpsApi;
    private final boolean ownsGitlab;

    /**
     * One replica of a multi-replica KAS: tracked in the Redis at {@code redisUrl}, its private API on
     * {@code privateApiPort} (known up front: it is advertised as {@code own_private_api_url}), or on the UNIX socket
     * {@code socket} when given. With {@code privateApiCert} the private API speaks TLS ({@code grpcs://}) and the
     * replica trusts {@code caFile} (or, when null, the JVM's default CAs) when calling the others; {@code serverName}
     * is then its {@code own_private_api_host}, when given.
     */
    public record Replica(String redisUrl, int privateApiPort, String keyPrefix, dev.kastor.testing.SelfSignedCert privateApiCert, Path caFile,
                          Path socket, String serverName) {
        public Replica(String redisUrl) {
            this(redisUrl, dev.kastor.testing.Programs.freePort(), "kastor-test", null, null);
        }

        public Replica(String redisUrl, int privateApiPort, String keyPrefix, dev.kastor.testing.SelfSignedCert privateApiCert, Path caFile) {
            this(redisUrl, privateApiPort, keyPrefix, privateApiCert, caFile, null, null);
        }

        /** A replica whose private API speaks TLS with {@code cert}, trusting {@code caFile} (null: the JVM's CAs) for the others'. */
        public static Replica tls(String redisUrl, dev.kastor.testing.SelfSignedCert cert, Path caFile) {
            return new Replica(redisUrl, dev.kastor.testing.Programs.freePort(), "kastor-test", cert, caFile);
        }

        /** A replica whose private API is the UNIX socket {@code socket}, advertised as {@code unix://<socket>}. */
        public static Replica unix(String redisUrl, Path socket) {
            return new Replica(redisUrl, -1, "kastor-test", null, null, socket, null);
        }

        /** This replica with {@code own_private_api_host} set to {@code name}. */
        public Replica withServerName(String name) {
            return new Replica(redisUrl, privateApiPort, keyPrefix, privateApiCert, caFile, socket, name);
        }

        public String privateApiUrl() {
            if (socket != null) return "unix://" + socket;
            return (privateApiCert == null ? "grpc" : "grpcs") + "://127.0.0.1:" + privateApiPort;
        }

        KasConfig.Address listener() {
            if (socket != null) return KasConfig.Address.unix(socket.toString());
            String address = "127.0.0.1:" + privateApiPort;
            return privateApiCert == null ? new KasConfig.Address(address, null, null, null, null, caFile == null ? null : caFile.toString())
                    : new KasConfig.Address(address, privateApiCert.certPem().toString(), privateApiCert.keyPem().toString(), null, null,
                            caFile == null ? null : caFile.toString());
        }
    }

    public Bridge(Path dir) throws Exception {
        this(setup(dir));
    }

    /** With {@code proxyCert}, the k8s proxy speaks HTTPS (kubectl sends bearer tokens only over TLS). */
    public Bridge(Path dir, dev.kastor.testing.SelfSignedCert proxyCert) throws Exception {
        this(setup(dir).proxyCert(proxyCert));
    }

    /** With the agent listener of the test's choice (e.g. {@code websocket: true}, or TLS). */
    public Bridge(Path dir, dev.kastor.testing.SelfSignedCert proxyCert, KasConfig.Address agentListener) throws Exception {
        this(setup(dir).proxyCert(proxyCert).agentListener(agentListener));
    }

    /** With where KAS reads agents' config files ({@code agentConfiguration}) and its {@code ci_access_mode}; null for defaults. */
    public Bridge(Path dir, dev.kastor.testing.SelfSignedCert proxyCert, KasConfig.AgentConfiguration agentConfiguration, String ciAccessMode)
            throws Exception {
        this(setup(dir).proxyCert(proxyCert).agentConfiguration(agentConfiguration).ciAccessMode(ciAccessMode));
    }

    /**
     * A KAS replica: replicas given the same {@code dir} share agents.json, and given the same {@code gitlab} (not
     * closed by this bridge) the same GitLab; all use the same secrets.
     */
    public Bridge(Path dir, dev.kastor.testing.SelfSignedCert proxyCert, GitLabApiStandIn gitlab, Replica replica) throws Exception {
        this(setup(dir).proxyCert(proxyCert).gitlab(gitlab).replica(replica));
    }

    /** The k8s proxy and the API port both over HTTPS with {@code cert}. */
    public static Bridge withHttpsApi(Path dir, dev.kastor.testing.SelfSignedCert cert) throws Exception {
        return setup(dir).proxyCert(cert).httpsApi().start();
    }

    /**
     * The agent port, the API port and the k8s proxy on UNIX sockets in {@code sockets} ({@code agent.socket},
     * {@code api.socket}, {@code k8s-proxy.socket}); agents dial {@link #grpcUrl}, jobs' KUBECONFIG names a front
     * that is not there ({@code external_k8s_proxy_url}).
     */
    public static Bridge onUnixSockets(Path dir, Path sockets) throws Exception {
        return setup(dir).sockets(sockets).start();
    }

    /** With KAS's timeouts on idle clients shortened (no other change). */
    public static Bridge tuned(Path dir, Kas.Tuning tuning) throws Exception {
        return setup(dir).tuning(tuning).start();
    }

    /** Shortened timeouts, and the agent listener of the test's choice (e.g. {@code websocket: true}). */
    public static Bridge tuned(Path dir, Kas.Tuning tuning, KasConfig.Address agentListener) throws Exception {
        return setup(dir).tuning(tuning).agentListener(agentListener).start();
    }

    /** A replica (see {@link Replica}) with shortened timeouts. */
    public static Bridge tuned(Path dir, Kas.Tuning tuning, Replica replica) throws Exception {
        return setup(dir).tuning(tuning).replica(replica).start();
    }

    /**
     * With the {@code flux} section of the test's choice (null: none) and where KAS reads agents' config files (null:
     * defaults); a replica when {@code replica} is given (then with the shared {@code gitlab}, which may be null otherwise).
     */
    public static Bridge withFlux(Path dir, KasConfig.Flux flux, KasConfig.AgentConfiguration agentConfiguration, GitLabApiStandIn gitlab,
                                  Replica replica) throws Exception {
        return setup(dir).flux(flux).agentConfiguration(agentConfiguration).gitlab(gitlab).replica(replica).start();
    }

    /** With the k8s proxy over HTTPS with {@code proxyCert}, and the agents KAS dials ({@code receptive_agents}). */
    public static Bridge withReceptiveAgents(Path dir, dev.kastor.testing.SelfSignedCert proxyCert, KasConfig.ReceptiveAgents receptive)
            throws Exception {
        return setup(dir).proxyCert(proxyCert).receptive(receptive).start();
    }

    /** User access: agents' config files from {@code agentConfiguration}, KAS's own GitLab token in {@code apiTokenFile} (null: none). */
    public static Bridge withUserAccess(Path dir, dev.kastor.testing.SelfSignedCert proxyCert, KasConfig.AgentConfiguration agentConfiguration,
                                        Path apiTokenFile) throws Exception {
        return setup(dir).proxyCert(proxyCert).agentConfiguration(agentConfiguration).apiTokenFile(apiTokenFile).start();
    }

    /** A bridge of the test's making: KAS on loopback with whatever of its options the test sets, the rest default. */
    public static Setup setup(Path dir) {
        return new Setup(dir);
    }

    /**
     * What a test's KAS differs in; every option left alone is KAS's default on loopback. {@code gitlab}: a shared
     * stand-in this bridge does not close (default: its own); {@code sockets}: the directory of the UNIX sockets of
     * {@link #onUnixSockets}.
     */
    public static final class Setup {
        private final Path dir;
        private dev.kastor.testing.SelfSignedCert proxyCert;
        private KasConfig.Address agentListener = addr("127.0.0.1:0");
        private KasConfig.AgentConfiguration agentConfiguration;
        private String ciAccessMode;
        private GitLabApiStandIn gitlab;
        private Replica replica;
        private boolean httpsApi;
        private Kas.Tuning tuning = Kas.Tuning.DEFAULTS;
        private KasConfig.Flux flux;
        private Path apiTokenFile;
        private KasConfig.ReceptiveAgents receptive;
        private Path sockets;
        private KasConfig.StatusPage statusPage;

        private Setup(Path dir) {
            this.dir = dir;
        }

        public Setup proxyCert(dev.kastor.testing.SelfSignedCert cert) { this.proxyCert = cert; return this; }
        public Setup agentListener(KasConfig.Address listener) { this.agentListener = listener; return this; }
        public Setup agentConfiguration(KasConfig.AgentConfiguration c) { this.agentConfiguration = c; return this; }
        public Setup ciAccessMode(String mode) { this.ciAccessMode = mode; return this; }
        public Setup gitlab(GitLabApiStandIn shared) { this.gitlab = shared; return this; }
        public Setup replica(Replica r) { this.replica = r; return this; }
        public Setup httpsApi() { this.httpsApi = true; return this; }
        public Setup tuning(Kas.Tuning t) { this.tuning = t; return this; }
        public Setup flux(KasConfig.Flux f) { this.flux = f; return this; }
        public Setup apiTokenFile(Path file) { this.apiTokenFile = file; return this; }
        public Setup receptive(KasConfig.ReceptiveAgents r) { this.receptive = r; return this; }
        public Setup sockets(Path directory) { this.sockets = directory; return this; }
        public Setup statusPage(KasConfig.StatusPage page) { this.statusPage = page; return this; }

        public Bridge start() throws Exception {
            return new Bridge(this);
        }
    }

    private Bridge(Setup s) throws Exception {
        this.httpsApi = s.httpsApi;
        this.ownsGitlab = s.gitlab == null;
        this.gitlab = s.gitlab == null ? GitLabApiStandIn.start() : s.gitlab;
        this.tls = s.proxyCert != null;
        var proxy = s.proxyCert == null ? addr("127.0.0.1:0")
                : new KasConfig.Address("127.0.0.1:0", s.proxyCert.certPem().toString(), s.proxyCert.keyPem().toString(), null);
        var privateApi = s.replica == null ? addr("127.0.0.1:0") : s.replica.listener();
        var listen = s.sockets != null
                ? new KasConfig.Listen(unix(s.sockets, "agent"), unix(s.sockets, "api"), unix(s.sockets, "k8s-proxy"), privateApi)
                : new KasConfig.Listen(s.agentListener, s.httpsApi ? proxy : addr("127.0.0.1:0"), proxy, privateApi);
        Replica r = s.replica;
        var config = new KasConfig(listen, new KasConfig.GitLab(this.gitlab.url(), null, s.apiTokenFile == null ? null : s.apiTokenFile.toString()),
                s.sockets == null ? null : "http://localhost/k8s-proxy", s.dir.resolve("agents.json").toString(),
                null, null, SECRET, SECRET, s.agentConfiguration, s.ciAccessMode, r == null ? null : r.privateApiUrl(),
                r == null ? null : r.serverName(), r == null ? null : new KasConfig.Redis(r.redisUrl(), null, r.keyPrefix()), s.flux, s.receptive, s.statusPage)
                .withDefaults(s.dir, Map.of());
        try {
            kas = Kas.start(config, new JsonLog(new PrintStream(logs, true, StandardCharsets.UTF_8), "kas"), s.tuning);
        } catch (Exception | Error e) {
            if (ownsGitlab) this.gitlab.close();
            throw e;
        }
    }

    private static KasConfig.Address unix(Path sockets, String name) {
        return KasConfig.Address.unix(sockets.resolve(name + ".socket").toString());
    }

    private static KasConfig.Address addr(String a) {
        return new KasConfig.Address(a, null, null, null);
    }

    public String logText() {
        return logs.toString(StandardCharsets.UTF_8);
    }

    public AgentStore.Registered register(String project, String name) {
        return kas.agents().register(project, name);
    }

    /** An agent connected to this KAS, and its id. */
    public record ConnectedAgent(Agent agent, long id) {}

    /**
     * The usual set-up: an agent {@code group/project:prod} connected in front of {@code upstream}, and a job of
     * {@code group/app} (project 77) with {@code jobToken} and {@code jobId} that may use it ({@link #job}).
     */
    public ConnectedAgent connectAgent(String jobToken, long jobId, URI upstream) throws Exception {
        var reg = register("group/project", "prod");
        long id = reg.agent().id();
        job(jobToken, jobId, 77, "group/app", id);
        Agent agent = startAgent(reg.token(), upstream);
        awaitConnected(id);
        return new ConnectedAgent(agent, id);
    }

    /** A job whose project may use the given agents (access_as ci_job). */
    public GitLabApiStandIn.Job job(String token, long jobId, long projectId, String projectPath, long... agentIds) {
        var allowed = java.util.Arrays.stream(agentIds)
                .mapToObj(id -> new GitLabApiStandIn.AllowedAgent(id, 100, "default", Map.<String, Object>of("ci_job", Map.of())))
                .toList();
        return gitlab.addJob(new GitLabApiStandIn.Job(token, jobId, projectId, projectPath, 7000 + jobId, List.of(10L, 11L),
                42, "alice", "production", "production", allowed));
    }

    public Agent startAgent(String token, URI upstream, SSLContext tls, Supplier<String> upstreamToken, PoolSettings settings) throws Exception {
        return Agent.start(grpcUrl(), null, () -> token,
                new KubeApiUpstream(upstream, tls, upstreamToken), settings, "test", RegistrationSettings.defaults(), JsonLog.quiet());
    }

    /** An agent in front of the API server at {@code upstream} (HTTPS trusted with {@code tls}), logging to {@code log}. */
    public Agent startAgent(String token, URI upstream, SSLContext tls, JsonLog log) throws Exception {
        return Agent.start(grpcUrl(), null, () -> token, new KubeApiUpstream(upstream, tls, () -> "agent-sa-token"),
                PoolSettings.defaults().withBackoff(Duration.ofMillis(200), Duration.ofSeconds(2)), "test", RegistrationSettings.defaults(), log);
    }

    /** An agent dialling {@code kas} (any scheme kastor-agent takes), trusting {@code caFile}, with the given registration timing. */
    public Agent startAgent(URI kas, java.io.File caFile, String token, URI upstream, RegistrationSettings registration) throws Exception {
        return Agent.start(kas, caFile, () -> token, new KubeApiUpstream(upstream, null, () -> "agent-sa-token"),
                PoolSettings.defaults().withBackoff(Duration.ofMillis(200), Duration.ofSeconds(2)), "test", registration, JsonLog.quiet());
    }

    /** The agent port as kastor-agent's {@code --kas} names it for plain gRPC (on TCP, or its UNIX socket). */
    public URI grpcUrl() {
        if (kas.config().listen().agent().isUnix()) return URI.create("unix://" + kas.config().listen().agent().address());
        return URI.create("grpc://127.0.0.1:" + kas.agentPort());
    }

    public URI apiUrl() {
        return URI.create((httpsApi ? "https" : "http") + "://127.0.0.1:" + kas.apiPort());
    }

    public Agent startAgent(String token, URI upstream) throws Exception {
        return startAgent(token, upstream, JsonLog.quiet());
    }

    /** An agent logging to {@code log} (its debug switch follows the agent's config file). */
    public Agent startAgent(String token, URI upstream, JsonLog log) throws Exception {
        return Agent.start(grpcUrl(), null, () -> token,
                new KubeApiUpstream(upstream, null, () -> "agent-sa-token"),
                PoolSettings.defaults().withBackoff(Duration.ofMillis(200), Duration.ofSeconds(2)), "test", RegistrationSettings.defaults(), log);
    }

    /** Waits (generously) until the agent holds at least one idle stream on KAS. */
    public void awaitConnected(long agentId) throws InterruptedException {
        Eventually.until(Duration.ofSeconds(30), () -> "agent " + agentId + " connected", () -> kas.tunnels().connected(agentId));
    }

    public String proxyUrl() {
        return (tls ? "https" : "http") + "://127.0.0.1:" + kas.k8sProxyPort() + "/k8s-proxy";
    }

    @Override
    public void close() {
        kas.close();
        if (ownsGitlab) gitlab.close();
    }

    /** A client TLS context trusting exactly {@code cert} (a test's self-signed KAS or API server). */
    public static SSLContext trusting(dev.kastor.testing.SelfSignedCert cert) throws Exception {
        var netty = io.netty.handler.ssl.SslContextBuilder.forClient().trustManager(cert.certPem().toFile())
                .sslProvider(io.netty.handler.ssl.SslProvider.JDK).build();
        return ((io.netty.handler.ssl.JdkSslContext) netty).context();
    }
}
