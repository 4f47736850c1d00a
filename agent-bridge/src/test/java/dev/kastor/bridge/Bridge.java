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
        this(dir, null);
    }

    /** With {@code proxyCert}, the k8s proxy speaks HTTPS (kubectl sends bearer tokens only over TLS). */
    public Bridge(Path dir, dev.kastor.testing.SelfSignedCert proxyCert) throws Exception {
        this(dir, proxyCert, addr("127.0.0.1:0"), null, null, null, null, false);
    }

    /** With the agent listener of the test's choice (e.g. {@code websocket: true}, or TLS). */
    public Bridge(Path dir, dev.kastor.testing.SelfSignedCert proxyCert, KasConfig.Address agentListener) throws Exception {
        this(dir, proxyCert, agentListener, null, null, null, null, false);
    }

    /** With where KAS reads agents' config files ({@code agentConfiguration}) and its {@code ci_access_mode}; null for defaults. */
    public Bridge(Path dir, dev.kastor.testing.SelfSignedCert proxyCert, KasConfig.AgentConfiguration agentConfiguration, String ciAccessMode)
            throws Exception {
        this(dir, proxyCert, addr("127.0.0.1:0"), agentConfiguration, ciAccessMode, null, null, false);
    }

    /**
     * A KAS replica: replicas given the same {@code dir} share agents.json, and given the same {@code gitlab} (not
     * closed by this bridge) the same GitLab; all use the same secrets.
     */
    public Bridge(Path dir, dev.kastor.testing.SelfSignedCert proxyCert, GitLabApiStandIn gitlab, Replica replica) throws Exception {
        this(dir, proxyCert, addr("127.0.0.1:0"), null, null, gitlab, replica, false);
    }

    /** The k8s proxy and the API port both over HTTPS with {@code cert}. */
    public static Bridge withHttpsApi(Path dir, dev.kastor.testing.SelfSignedCert cert) throws Exception {
        return new Bridge(dir, cert, addr("127.0.0.1:0"), null, null, null, null, true);
    }

    /**
     * The agent port, the API port and the k8s proxy on UNIX sockets in {@code sockets} ({@code agent.socket},
     * {@code api.socket}, {@code k8s-proxy.socket}); agents dial {@link #grpcUrl}, jobs' KUBECONFIG names a front
     * that is not there ({@code external_k8s_proxy_url}).
     */
    public static Bridge onUnixSockets(Path dir, Path sockets) throws Exception {
        return new Bridge(dir, null, null, null, null, null, null, false, Kas.Tuning.DEFAULTS, null, null, null, sockets);
    }

    /** With KAS's timeouts on idle clients shortened (no other change). */
    public static Bridge tuned(Path dir, Kas.Tuning tuning) throws Exception {
        return new Bridge(dir, null, addr("127.0.0.1:0"), null, null, null, null, false, tuning);
    }

    /** Shortened timeouts, and the agent listener of the test's choice (e.g. {@code websocket: true}). */
    public static Bridge tuned(Path dir, Kas.Tuning tuning, KasConfig.Address agentListener) throws Exception {
        return new Bridge(dir, null, agentListener, null, null, null, null, false, tuning);
    }

    /** A replica (see {@link Replica}) with shortened timeouts. */
    public static Bridge tuned(Path dir, Kas.Tuning tuning, Replica replica) throws Exception {
        return new Bridge(dir, null, addr("127.0.0.1:0"), null, null, null, replica, false, tuning);
    }

    /**
     * With the {@code flux} section of the test's choice (null: none) and where KAS reads agents' config files (null:
     * defaults); a replica when {@code replica} is given (then with the shared {@code gitlab}, which may be null otherwise).
     */
    public static Bridge withFlux(Path dir, KasConfig.Flux flux, KasConfig.AgentConfiguration agentConfiguration, GitLabApiStandIn gitlab,
                                  Replica replica) throws Exception {
        return new Bridge(dir, null, addr("127.0.0.1:0"), agentConfiguration, null, gitlab, replica, false, Kas.Tuning.DEFAULTS, flux);
    }

    private Bridge(Path dir, dev.kastor.testing.SelfSignedCert proxyCert, KasConfig.Address agentListener,
                   KasConfig.AgentConfiguration agentConfiguration, String ciAccessMode, GitLabApiStandIn gitlab, Replica replica,
                   boolean httpsApi) throws Exception {
        this(dir, proxyCert, agentListener, agentConfiguration, ciAccessMode, gitlab, replica, httpsApi, Kas.Tuning.DEFAULTS);
    }

    private Bridge(Path dir, dev.kastor.testing.SelfSignedCert proxyCert, KasConfig.Address agentListener,
                   KasConfig.AgentConfiguration agentConfiguration, String ciAccessMode, GitLabApiStandIn gitlab, Replica replica,
                   boolean httpsApi, Kas.Tuning tuning) throws Exception {
        this(dir, proxyCert, agentListener, agentConfiguration, ciAccessMode, gitlab, replica, httpsApi, tuning, null);
    }

    /** With the k8s proxy over HTTPS with {@code proxyCert}, and the agents KAS dials ({@code receptive_agents}). */
    public static Bridge withReceptiveAgents(Path dir, dev.kastor.testing.SelfSignedCert proxyCert, KasConfig.ReceptiveAgents receptive)
            throws Exception {
        return new Bridge(dir, proxyCert, addr("127.0.0.1:0"), null, null, null, null, false, Kas.Tuning.DEFAULTS, null, null, receptive, null);
    }

    private Bridge(Path dir, dev.kastor.testing.SelfSignedCert proxyCert, KasConfig.Address agentListener,
                   KasConfig.AgentConfiguration agentConfiguration, String ciAccessMode, GitLabApiStandIn gitlab, Replica replica,
                   boolean httpsApi, Kas.Tuning tuning, KasConfig.Flux flux) throws Exception {
        this(dir, proxyCert, agentListener, agentConfiguration, ciAccessMode, gitlab, replica, httpsApi, tuning, flux, null, null, null);
    }

    /** User access: agents' config files from {@code agentConfiguration}, KAS's own GitLab token in {@code apiTokenFile} (null: none). */
    public static Bridge withUserAccess(Path dir, dev.kastor.testing.SelfSignedCert proxyCert, KasConfig.AgentConfiguration agentConfiguration,
                                        Path apiTokenFile) throws Exception {
        return new Bridge(dir, proxyCert, addr("127.0.0.1:0"), agentConfiguration, null, null, null, false, Kas.Tuning.DEFAULTS, null,
                apiTokenFile, null, null);
    }

    /**
     * The whole KAS of a test. {@code apiTokenFile}: KAS's own GitLab token (user access), {@code receptive}: the agents
     * it dials, {@code sockets}: the directory of the UNIX sockets of {@link #onUnixSockets}; each null when not used.
     */
    private Bridge(Path dir, dev.kastor.testing.SelfSignedCert proxyCert, KasConfig.Address agentListener,
                   KasConfig.AgentConfiguration agentConfiguration, String ciAccessMode, GitLabApiStandIn gitlab, Replica replica,
                   boolean httpsApi, Kas.Tuning tuning, KasConfig.Flux flux, Path apiTokenFile, KasConfig.ReceptiveAgents receptive,
                   Path sockets) throws Exception {
        this.httpsApi = httpsApi;
        this.ownsGitlab = gitlab == null;
        this.gitlab = gitlab == null ? GitLabApiStandIn.start() : gitlab;
        this.tls = proxyCert != null;
        var proxy = proxyCert == null ? addr("127.0.0.1:0")
                : new KasConfig.Address("127.0.0.1:0", proxyCert.certPem().toString(), proxyCert.keyPem().toString(), null);
        var privateApi = replica == null ? addr("127.0.0.1:0") : replica.listener();
        var listen = sockets != null
                ? new KasConfig.Listen(unix(sockets, "agent"), unix(sockets, "api"), unix(sockets, "k8s-proxy"), privateApi)
                : new KasConfig.Listen(agentListener, httpsApi ? proxy : addr("127.0.0.1:0"), proxy, privateApi);
        var config = new KasConfig(listen, new KasConfig.GitLab(this.gitlab.url(), null, apiTokenFile == null ? null : apiTokenFile.toString()),
                sockets == null ? null : "http://localhost/k8s-proxy", dir.resolve("agents.json").toString(),
                null, null, SECRET, SECRET, agentConfiguration, ciAccessMode, replica == null ? null : replica.privateApiUrl(),
                replica == null ? null : replica.serverName(),
                replica == null ? null : new KasConfig.Redis(replica.redisUrl(), null, replica.keyPrefix()), flux, receptive)
                .withDefaults(dir, Map.of());
        try {
            kas = Kas.start(config, new JsonLog(new PrintStream(logs, true, StandardCharsets.UTF_8), "kas"), tuning);
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
