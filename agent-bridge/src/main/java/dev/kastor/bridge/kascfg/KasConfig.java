package dev.kastor.bridge.kascfg;

import dev.kastor.bridge.config.ConfigDefaults;
import dev.kastor.bridge.observability.Causes;
import dev.kastor.bridge.routing.RoutingDefaults;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * {@code kastor-kas}'s one configuration file (YAML). Every default lives here, and everything wrong with a file is
 * refused at start with a message naming the key.
 *
 * <pre>
 * listen:
 *   agent:     {address: 0.0.0.0:8150, certificate_file: tls.crt, key_file: tls.key, websocket: false}
 *   # agent:   {..., connections_per_address: 1024}         # from one host (a fleet behind one NAT address: one per agent pod)
 *   api:       {address: 0.0.0.0:8153}
 *   k8s_proxy: {address: 0.0.0.0:8154, certificate_file: tls.crt, key_file: tls.key, prefix: /k8s-proxy}
 *   private_api: {address: 0.0.0.0:8155, certificate_file: tls.crt, key_file: tls.key, ca_certificate_file: ca.crt}
 *   # any listener may be a UNIX socket instead (network: tcp is the default): its file gets mode 0660 and goes at stop;
 *   # a stale one left by a crash is replaced, a live one or a path that is no socket stops KAS
 *   # api:       {network: unix, address: /run/kastor-kas/api.socket}
 *   # k8s_proxy: {network: unix, address: /run/kastor-kas/k8s-proxy.socket}      # needs external_k8s_proxy_url
 *   # private_api: {network: unix, address: /run/kastor-kas/private-api.socket}  # with own_private_api_url: unix:///...
 * gitlab:
 *   url: https://gitlab.example.com
 *   # local_jobs_file: jobs.yaml                            # instead of url: jobs without GitLab (docs/try-kas-locally.md)
 *   api_token_file: /etc/kastor-kas/gitlab-api-token       # read_api token: user access (agents' user_access, docs/user-access.md)
 * external_k8s_proxy_url: https://kas.example.com/k8s-proxy   # what jobs' KUBECONFIG points at
 * agents_file: /var/lib/kastor-kas/agents.json
 * api_secret_key_file: /etc/kastor-kas/api-secret          # base64 of exactly 32 bytes
 * private_api_secret_key_file: /etc/kastor-kas/private-api-secret   # with redis only (several replicas)
 * agent_configuration:                                      # see docs/agent-configuration.md
 *   git_url_template: https://gitlab.example.com/{project}.git
 *   username: kas-reader
 *   password_file: /etc/kastor-kas/git-password
 *   poll_period: 5m
 * ci_access_mode: gitlab                                    # or standalone
 * # multi-replica KAS (docs/multi-replica.md): both keys, or neither for a single node
 * own_private_api_url: grpc://10.0.0.5:8155                # default: env OWN_PRIVATE_API_URL, or OWN_PRIVATE_API_CIDR (+ _PORT, _SCHEME);
 *                                                          # unix:///run/kastor-kas/private-api.socket for replicas on one host
 * # own_private_api_host: kas-0.kas.internal              # default: env OWN_PRIVATE_API_HOST; with grpcs:// only: the name the
 *                                                          # others verify this replica's certificate against (sent with the URL)
 * redis: {url: redis://redis:6379, password_file: /etc/kastor-kas/redis-password, key_prefix: kastor}
 * flux:                                                     # on when present (flux: {} for every default): Flux reacts to pushes
 *   webhook_secret_file: /etc/kastor-kas/flux-webhook-secret   # enables POST /api/v1/flux/git-push (GitLab push webhook)
 *   git_poll_period: 1m                                     # ls-remote of the projects agents watch; 0 or off disables
 *   git_url_prefixes: [https://gitlab.example.com/, ssh://git@gitlab.example.com/, git@gitlab.example.com:]
 *   registries:                                             # oci://&lt;host&gt;/... of these get Receivers
 *     - host: registry.example.com
 *       notifications_token_file: /etc/kastor-kas/registry-notifications-token   # enables POST /api/v1/flux/registry-events
 * receptive_agents:                                         # agents KAS dials (docs/receptive-agents.md)
 *   client_certificate_file: /etc/kastor-kas/receptive/kas-client.crt   # KAS proves itself with it (mTLS)
 *   client_key_file: /etc/kastor-kas/receptive/kas-client.key
 *   agents:
 *     - id: 7                                               # the agent id 'kastor-kas agent register' printed
 *       url: grpcs://agent.example.com:8160                 # the agent's --listen
 *       ca_certificate_file: /etc/kastor-kas/receptive/agent-7-ca.crt   # default: the system CAs
 * status_page:                                              # on when present: sign-in and the status JSON on the API port
 *   operator_token_file: /etc/kastor-kas/status-operator-token   # signs in an operator, who sees every agent (>= 32 characters)
 *   session_ttl: 8h                                         # how long a sign-in lasts (default 8h, 1m to 168h)
 * </pre>
 */
public record KasConfig(Listen listen, GitLab gitlab, String externalK8sProxyUrl, String agentsFile, String apiSecretKeyFile, String privateApiSecretKeyFile,
                        String apiSecretKey, String privateApiSecretKey, AgentConfiguration agentConfiguration, String ciAccessMode,
                        String ownPrivateApiUrl, String ownPrivateApiHost, Redis redis, Flux flux, ReceptiveAgents receptiveAgents,
                        StatusPage statusPage) {
    /** Without {@code status_page}. */
    public KasConfig(Listen listen, GitLab gitlab, String externalK8sProxyUrl, String agentsFile, String apiSecretKeyFile, String privateApiSecretKeyFile,
                     String apiSecretKey, String privateApiSecretKey, AgentConfiguration agentConfiguration, String ciAccessMode,
                     String ownPrivateApiUrl, String ownPrivateApiHost, Redis redis, Flux flux, ReceptiveAgents receptiveAgents) {
        this(listen, gitlab, externalK8sProxyUrl, agentsFile, apiSecretKeyFile, privateApiSecretKeyFile, apiSecretKey, privateApiSecretKey,
                agentConfiguration, ciAccessMode, ownPrivateApiUrl, ownPrivateApiHost, redis, flux, receptiveAgents, null);
    }

    /** Without {@code receptive_agents}. */
    public KasConfig(Listen listen, GitLab gitlab, String externalK8sProxyUrl, String agentsFile, String apiSecretKeyFile, String privateApiSecretKeyFile,
                     String apiSecretKey, String privateApiSecretKey, AgentConfiguration agentConfiguration, String ciAccessMode,
                     String ownPrivateApiUrl, String ownPrivateApiHost, Redis redis, Flux flux) {
        this(listen, gitlab, externalK8sProxyUrl, agentsFile, apiSecretKeyFile, privateApiSecretKeyFile, apiSecretKey, privateApiSecretKey,
                agentConfiguration, ciAccessMode, ownPrivateApiUrl, ownPrivateApiHost, redis, flux, ReceptiveAgents.NONE);
    }

    /**
     * One listener. {@code websocket} (agent port only, like GitLab KAS's {@code listen_websocket}) makes the agent
     * port speak gRPC inside WebSocket (HTTP/1.1 upgrade) for proxies and load balancers that cannot pass HTTP/2.
     * {@code caCertificateFile} (private API only, like GitLab KAS's {@code private_api.listen.ca_certificate_file}) is
     * the PEM CA a replica trusts when it calls the other replicas' {@code grpcs://} private API. {@code network}
     * ({@link #TCP} or {@link #UNIX}, like GitLab KAS's {@code *_listen_network}) says whether {@code address} is
     * {@code host:port} or the path of a UNIX socket file. {@code connectionsPerAddress} (agent port only; default
     * {@link dev.kastor.bridge.tunnel.TunnelDefaults#CONNECTIONS_PER_ADDRESS}) bounds the connections one host may hold
     * there: a fleet whose clusters reach KAS through one NAT address needs one per agent pod.
     */
    public record Address(String address, String certificateFile, String keyFile, String prefix, Boolean websocket, String caCertificateFile,
                          String network, Integer connectionsPerAddress) {
        public static final String TCP = "tcp";
        public static final String UNIX = "unix";

        public Address(String address, String certificateFile, String keyFile, String prefix) {
            this(address, certificateFile, keyFile, prefix, null, null, null);
        }

        public Address(String address, String certificateFile, String keyFile, String prefix, Boolean websocket) {
            this(address, certificateFile, keyFile, prefix, websocket, null, null);
        }

        public Address(String address, String certificateFile, String keyFile, String prefix, Boolean websocket, String caCertificateFile) {
            this(address, certificateFile, keyFile, prefix, websocket, caCertificateFile, null);
        }

        public Address(String address, String certificateFile, String keyFile, String prefix, Boolean websocket, String caCertificateFile,
                       String network) {
            this(address, certificateFile, keyFile, prefix, websocket, caCertificateFile, network, null);
        }

        /** A plain UNIX socket listener at {@code path}. */
        public static Address unix(String path) {
            return new Address(path, null, null, null, null, null, UNIX);
        }

        public boolean isWebsocket() {
            return Boolean.TRUE.equals(websocket);
        }

        /** Whether {@code address} is a UNIX socket's path (else {@code host:port}). */
        public boolean isUnix() {
            return UNIX.equals(network);
        }
    }

    public record Listen(Address agent, Address api, Address k8sProxy, Address privateApi) {}

    /**
     * The GitLab KAS asks which agents a job may use. {@code localJobsFile} instead: jobs and their agents from a file
     * ({@code LocalJobsAuthorizer}), to try KAS without GitLab; then {@code url} may be left out. {@code apiTokenFile}
     * holds KAS's own GitLab token (scope {@code read_api}) for user access: a person's {@code k8s_proxy} token cannot
     * read who is a member of what, KAS's can; never logged, and refused at start when unreadable.
     */
    public record GitLab(String url, String localJobsFile, String apiTokenFile) {
        public GitLab(String url) {
            this(url, null, null);
        }

        public GitLab(String url, String localJobsFile) {
            this(url, localJobsFile, null);
        }

        public boolean local() {
            return localJobsFile != null;
        }

        /** KAS's own GitLab API token, read from {@code api_token_file} now; null when none is configured. */
        public String apiToken() {
            return apiTokenFile == null ? null : contents("gitlab.api_token_file", apiTokenFile).strip();
        }
    }

    /**
     * Where KAS reads agents' {@code .gitlab/agents/<name>/config.yaml}: {@code git_url_template} with
     * {@code {project}} (default {@code <gitlab.url>/{project}.git}), Git credentials ({@code username} +
     * {@code password_file}, never logged), {@code poll_period} ({@code 30s}, {@code 5m}, ISO {@code PT5M}; at least
     * 1 s), {@code branch} (default: the remote's default branch), {@code cache_dir} (default: a temporary
     * directory), {@code webhook_secret_file} (enables the push webhook on the API port).
     */
    public record AgentConfiguration(String gitUrlTemplate, String username, String passwordFile, String pollPeriod, String branch,
                                     String cacheDir, String webhookSecretFile) {
        public Duration poll() {
            return ConfigDefaults.parseDuration(pollPeriod);
        }
    }

    /** {@code ci_access_mode: gitlab} asks GitLab's allowed_agents; {@code standalone} reads the agent's own ci_access. */
    public static final String CI_ACCESS_GITLAB = "gitlab";
    public static final String CI_ACCESS_STANDALONE = "standalone";

    /** Where multi-replica KAS tracks which replica holds which agent; absent on a single node. */
    public record Redis(String url, String passwordFile, String keyPrefix) {
        Redis withDefaults() {
            if (url == null || url.isBlank()) {
                throw new IllegalArgumentException("redis.url is missing in the KAS config: give redis://host:6379 (or rediss:// for TLS), or drop the redis section on a single node");
            }
            URI u;
            try {
                u = new URI(url);
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("redis.url is not a URL: give redis://host:6379 (or rediss://host:6380)");
            }
            if (!("redis".equals(u.getScheme()) || "rediss".equals(u.getScheme())) || u.getHost() == null) {
                throw new IllegalArgumentException("redis.url must be redis://host:port or rediss://host:port, got scheme " + u.getScheme()
                        + (u.getHost() == null ? " and no host" : ""));
            }
            if (u.getUserInfo() != null) {
                throw new IllegalArgumentException("redis.url carries a password: put it in redis.password_file so it stays out of the config and the logs");
            }
            if (passwordFile != null && !Files.isReadable(Path.of(passwordFile))) {
                throw new IllegalArgumentException("redis.password_file " + passwordFile + " cannot be read");
            }
            String prefix = keyPrefix == null ? RoutingDefaults.KEY_PREFIX : keyPrefix;
            if (prefix.isBlank()) throw new IllegalArgumentException("redis.key_prefix must not be empty (default " + RoutingDefaults.KEY_PREFIX + ")");
            return new Redis(url, passwordFile, prefix);
        }
    }

    /**
     * The flux feature's KAS half: {@code webhook_secret_file} (enables the GitLab push webhook), {@code git_poll_period}
     * (how often the refs of the projects agents watch are listed; null when off), {@code git_url_prefixes} (what a
     * GitRepository URL of the instance starts with; default from {@code gitlab.url}), {@code registries} (the OCI
     * registries of the instance, each optionally sending its notifications to KAS).
     */
    public record Flux(String webhookSecretFile, String gitPollPeriod, List<String> gitUrlPrefixes, List<Registry> registries) {
        /** No {@code flux} section: nothing is the instance's, nothing polled, no webhook. */
        public static final Flux OFF = new Flux(null, null, List.of(), List.of());

        /** How often projects' refs are listed, or null when polling is off. */
        public Duration gitPoll() {
            return gitPollPeriod == null ? null : ConfigDefaults.parseDuration(gitPollPeriod);
        }

        /** The registry with this {@code host} (compared without case, as host names are), if the config lists it. */
        public Optional<Registry> registry(String host) {
            return registries.stream().filter(r -> r.host().equalsIgnoreCase(host)).findFirst();
        }
    }

    /** An OCI registry of the instance ({@code host[:port]}); {@code notificationsTokenFile} holds its notifications' bearer token. */
    public record Registry(String host, String notificationsTokenFile) {}

    /**
     * Agents KAS dials, for clusters that cannot dial out ({@code receptive_agents}): KAS proves itself to each with
     * {@code client_certificate_file} and {@code client_key_file} (PEM; the agent's {@code --listen-client-ca} is their
     * CA) and keeps a connection to each agent's {@code url} ({@code grpcs://host:port}, its {@code --listen}), trusting
     * {@code ca_certificate_file} (default: the system CAs). Over it, the agent authenticates with its token as always,
     * and must be agent {@code id}.
     */
    public record ReceptiveAgents(String clientCertificateFile, String clientKeyFile, List<ReceptiveAgent> agents) {
        /** No {@code receptive_agents} section: KAS dials no agent. */
        public static final ReceptiveAgents NONE = new ReceptiveAgents(null, null, List.of());
    }

    /** One agent KAS dials: its id, its {@code grpcs://host:port}, and the CA its listener's certificate is checked against. */
    public record ReceptiveAgent(Long id, String url, String caCertificateFile) {}

    /**
     * The status page's sign-in ({@code status_page}; absent: no page, no sign-in). People sign in with a GitLab
     * personal access token and see the agents whose {@code user_access} admits them; {@code operator_token_file} holds
     * a token that signs in an operator, who sees every agent. {@code session_ttl} is how long a sign-in lasts.
     */
    public record StatusPage(String operatorTokenFile, String sessionTtl) {
        /** The operator token, read from its file now; null when none is configured. */
        public String operatorToken() {
            return operatorTokenFile == null ? null : contents("status_page.operator_token_file", operatorTokenFile).strip();
        }

        public Duration sessionLifetime() {
            return ConfigDefaults.parseDuration(sessionTtl);
        }
    }

    /** Flux's ref polling when {@code flux.git_poll_period} is not given. */
    public static final Duration FLUX_GIT_POLL = Duration.ofMinutes(1);

    public static final String DEFAULT_AGENT = "0.0.0.0:8150";
    public static final String DEFAULT_API = "0.0.0.0:8153";
    public static final String DEFAULT_K8S_PROXY = "0.0.0.0:8154";
    public static final String DEFAULT_PRIVATE_API = "0.0.0.0:8155";
    public static final String DEFAULT_PREFIX = "/k8s-proxy";
    public static final Duration CONFIG_POLL = Duration.ofMinutes(5);

    private static final YAMLMapper YAML = YAMLMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    public static KasConfig load(Path file) {
        return load(file, System.getenv());
    }

    /** {@code env} stands for the process environment (it gives {@code OWN_PRIVATE_API_URL} when the file does not). */
    public static KasConfig load(Path file, Map<String, String> env) {
        KasConfig c;
        try {
            c = YAML.readValue(Files.readString(file), KasConfig.class);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the KAS config " + file + ": " + Causes.describe(e), e);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("the KAS config " + file + " is not valid: " + Causes.describe(e), e);
        }
        return c.withDefaults(file.toAbsolutePath().getParent(), env);
    }

    public KasConfig withDefaults(Path base) {
        return withDefaults(base, System.getenv());
    }

    /** {@code env} gives {@code OWN_PRIVATE_API_URL} when the file does not. */
    public KasConfig withDefaults(Path base, Map<String, String> env) {
        Listen l = listen == null ? new Listen(null, null, null, null) : listen;
        noWebsocket("api", l.api());
        noWebsocket("k8s_proxy", l.k8sProxy());
        noWebsocket("private_api", l.privateApi());
        noCa("agent", l.agent());
        noCa("api", l.api());
        noCa("k8s_proxy", l.k8sProxy());
        caFile(l.privateApi());
        tlsPair("agent", l.agent());
        tlsPair("api", l.api());
        tlsPair("k8s_proxy", l.k8sProxy());
        tlsPair("private_api", l.privateApi());
        Listen filled = new Listen(fill("agent", l.agent(), DEFAULT_AGENT, base), fill("api", l.api(), DEFAULT_API, base),
                fillProxy(l.k8sProxy(), base), fill("private_api", l.privateApi(), DEFAULT_PRIVATE_API, base));
        if (filled.k8sProxy().isUnix() && externalK8sProxyUrl == null) {
            throw new IllegalArgumentException("listen.k8s_proxy is a UNIX socket, which jobs' KUBECONFIG cannot name: set external_k8s_proxy_url"
                    + " to the URL of what forwards to it (e.g. https://kas.example.com/k8s-proxy)");
        }
        GitLab gl = gitlab == null ? new GitLab(null, null) : gitlab;
        if (gl.url() != null && gl.url().isBlank()) gl = new GitLab(null, gl.localJobsFile(), gl.apiTokenFile());
        if (gl.apiTokenFile() != null) {
            gl = new GitLab(gl.url(), gl.localJobsFile(), base.resolve(gl.apiTokenFile()).toString());
            contents("gitlab.api_token_file", gl.apiTokenFile());
        }
        if (gl.local()) {
            Path jobs = base.resolve(gl.localJobsFile());
            contents("gitlab.local_jobs_file", jobs.toString());
            gl = new GitLab(gl.url(), jobs.toString(), gl.apiTokenFile());
        } else if (gl.url() == null) {
            throw new IllegalArgumentException("gitlab.url is missing in the KAS config: KAS asks GitLab which agents a job may use"
                    + " (to try KAS without GitLab, list jobs in gitlab.local_jobs_file instead: docs/try-kas-locally.md)");
        }
        // Relative paths are the config file's directory's, as every other file's: KAS and 'kastor-kas agent register'
        // started from different directories must find one store.
        String agents = base.resolve(agentsFile == null ? "agents.json" : agentsFile).toString();
        String api = secret("api_secret_key", apiSecretKey, relative(base, apiSecretKeyFile), "");
        Redis r = redis == null ? null : redis.withDefaults();
        // The private API's key signs what replicas say to each other: needed with redis (several replicas) only, and
        // checked whenever it is given.
        String priv = r == null && privateApiSecretKey == null && privateApiSecretKeyFile == null ? null
                : secret("private_api_secret_key", privateApiSecretKey, relative(base, privateApiSecretKeyFile),
                        "with redis set, the replicas sign their calls to each other with it (the same key on every replica): ");
        String mode = ciAccessMode == null ? CI_ACCESS_GITLAB : ciAccessMode.trim();
        if (!mode.equals(CI_ACCESS_GITLAB) && !mode.equals(CI_ACCESS_STANDALONE)) {
            throw new IllegalArgumentException("ci_access_mode must be gitlab (ask GitLab's allowed_agents) or standalone (the agent's own"
                    + " ci_access in .gitlab/agents/<name>/config.yaml), got " + ciAccessMode);
        }
        if (gl.local() && mode.equals(CI_ACCESS_STANDALONE)) {
            throw new IllegalArgumentException("ci_access_mode: standalone asks GitLab who a job is, which gitlab.local_jobs_file replaces:"
                    + " leave ci_access_mode out (the file says which agents each job may use)");
        }
        String own = OwnPrivateApi.resolve(ownPrivateApiUrl, env, filled.privateApi(), OwnPrivateApi::hostAddresses);
        if (r != null && own == null) {
            throw new IllegalArgumentException("own_private_api_url is missing in the KAS config (or env " + RoutingDefaults.OWN_PRIVATE_API_URL_ENV
                    + ", or " + OwnPrivateApi.CIDR_ENV + "): with redis set, each replica must say where the others reach its private API,"
                    + " e.g. grpc://10.0.0.5:8155 (the pod IP), or the network to find it in (" + OwnPrivateApi.CIDR_ENV + "=10.0.0.0/8)");
        }
        if (own != null) checkPrivateApiUrl(own, filled.privateApi());
        String ownHost = OwnPrivateApi.host(ownPrivateApiHost, env, own);
        var agentConfig = agentConfiguration(agentConfiguration, gl.url());
        return new KasConfig(filled, gl, externalK8sProxyUrl, agents, apiSecretKeyFile, privateApiSecretKeyFile, api, priv,
                agentConfig, mode, own, ownHost, r, FluxSection.withDefaults(flux, gl.url(), agentConfig.gitUrlTemplate() != null),
                ReceptiveSection.withDefaults(receptiveAgents), StatusPageSection.withDefaults(statusPage, base));
    }

    public boolean standaloneCiAccess() {
        return CI_ACCESS_STANDALONE.equals(ciAccessMode);
    }

    /** {@code gitlabUrl} null (local jobs without GitLab) and no {@code git_url_template}: no agent reads its config from Git. */
    private static AgentConfiguration agentConfiguration(AgentConfiguration a, String gitlabUrl) {
        if (a == null) a = new AgentConfiguration(null, null, null, null, null, null, null);
        if (gitlabUrl == null && a.gitUrlTemplate() == null) {
            if (a.username() != null || a.passwordFile() != null || a.webhookSecretFile() != null) {
                throw new IllegalArgumentException("agent_configuration has Git credentials or a webhook but no git_url_template, and there is no"
                        + " gitlab.url to take it from: give agent_configuration.git_url_template");
            }
            String poll = ConfigDefaults.POLL_PERIOD.toMinutes() + "m";
            return new AgentConfiguration(null, null, null, poll, a.branch(), a.cacheDir(), null);
        }
        String template = a.gitUrlTemplate() == null ? gitlabUrl.replaceAll("/+$", "") + ConfigDefaults.GIT_URL_SUFFIX : a.gitUrlTemplate();
        if (!template.contains("{project}")) {
            throw new IllegalArgumentException("agent_configuration.git_url_template must contain {project} (the config project's full path),"
                    + " like https://gitlab.example.com/{project}.git");
        }
        try {
            String scheme = URI.create(template.replace("{project}", "p")).getScheme();
            if (!"http".equals(scheme) && !"https".equals(scheme)) throw new IllegalArgumentException("scheme " + scheme);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("agent_configuration.git_url_template must be an http(s) URL with {project}, got " + template);
        }
        String poll = a.pollPeriod() == null ? ConfigDefaults.POLL_PERIOD.toMinutes() + "m" : a.pollPeriod();
        var d = ConfigDefaults.parseDuration(poll);
        if (d == null) {
            throw new IllegalArgumentException("agent_configuration.poll_period must be a duration like 30s, 5m or PT5M, got " + poll);
        }
        if (d.compareTo(ConfigDefaults.MIN_POLL_PERIOD) < 0) {
            throw new IllegalArgumentException("agent_configuration.poll_period must be at least 1s (it is how often KAS asks Git), got " + poll);
        }
        if ((a.username() == null) != (a.passwordFile() == null)) {
            throw new IllegalArgumentException("agent_configuration.username and agent_configuration.password_file go together (Git basic auth):"
                    + " set both or neither");
        }
        readable("agent_configuration.password_file", a.passwordFile());
        readable("agent_configuration.webhook_secret_file", a.webhookSecretFile());
        if (a.branch() != null && a.branch().isBlank()) {
            throw new IllegalArgumentException("agent_configuration.branch is empty: leave it out to use the default branch");
        }
        return new AgentConfiguration(template, a.username(), a.passwordFile(), poll, a.branch(), a.cacheDir(), a.webhookSecretFile());
    }

    private static void readable(String key, String file) {
        if (file != null) contents(key, file);
    }

    /** The text of a file the config names; an unreadable or blank one is refused, naming the key. */
    static String contents(String key, String file) {
        try {
            String text = Files.readString(Path.of(file));
            if (text.isBlank()) throw new IllegalArgumentException(key + " " + file + " is empty");
            return text;
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + key + " " + file + ": " + Causes.describe(e), e);
        }
    }

    private static void checkPrivateApiUrl(String own, Address listener) {
        URI u;
        try {
            u = new URI(own);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("own_private_api_url is not a URL: " + own + " (like grpc://10.0.0.5:8155)");
        }
        // The URL is also this replica's name in the tracker and in the private API's tokens: nothing may ride on it.
        if (u.getRawQuery() != null || u.getRawFragment() != null) {
            throw new IllegalArgumentException("own_private_api_url must have no query or fragment, got " + own);
        }
        if ("unix".equals(u.getScheme())) {
            checkUnixPrivateApiUrl(own, u, listener);
            return;
        }
        if (!("grpc".equals(u.getScheme()) || "grpcs".equals(u.getScheme())) || u.getHost() == null || u.getPort() < 0) {
            throw new IllegalArgumentException("own_private_api_url must be grpc://host:port, grpcs://host:port or unix:///path.socket"
                    + " (like grpc://10.0.0.5:8155), got " + own);
        }
    }

    /** The other replicas on this host dial the socket in plain gRPC: the listener must be a UNIX socket without TLS. */
    private static void checkUnixPrivateApiUrl(String own, URI u, Address listener) {
        if (u.getRawAuthority() != null || u.getPath() == null || !u.getPath().startsWith("/")) {
            throw new IllegalArgumentException("own_private_api_url must name a socket file as unix:///path.socket (three slashes), got " + own);
        }
        if (!listener.isUnix()) {
            throw new IllegalArgumentException("own_private_api_url " + own + " is a UNIX socket, but listen.private_api listens on TCP "
                    + listener.address() + ": set listen.private_api.network: unix (the replicas on this host share the socket), or give a grpc:// URL");
        }
        if (listener.certificateFile() != null) {
            throw new IllegalArgumentException("own_private_api_url " + own + " is dialled without TLS, but listen.private_api has a certificate:"
                    + " remove listen.private_api.certificate_file and key_file (the socket file's mode guards it)");
        }
    }

    /**
     * The listener with its defaults: TCP on {@code def}. A UNIX socket needs its path, relative to the config file's
     * directory; any other network is refused.
     */
    private static Address fill(String listener, Address a, String def, Path base) {
        if (a == null) return new Address(def, null, null, null, null, null, Address.TCP);
        String network = a.network() == null ? Address.TCP : a.network().trim();
        String address = a.address();
        if (network.equals(Address.UNIX)) {
            if (address == null || address.isBlank()) {
                throw new IllegalArgumentException("listen." + listener + ".address is missing: with network: unix it is the socket file's path,"
                        + " like /run/kastor-kas/" + listener.replace('_', '-') + ".socket");
            }
            address = base.resolve(address.trim()).toString();
        } else if (!network.equals(Address.TCP)) {
            throw new IllegalArgumentException("listen." + listener + ".network must be tcp (address host:port) or unix (address: a socket"
                    + " file's path), got " + a.network());
        } else if (address == null) {
            address = def;
        }
        if (a.connectionsPerAddress() != null && a.connectionsPerAddress() < 1) {
            throw new IllegalArgumentException("listen." + listener + ".connections_per_address must be at least 1, got " + a.connectionsPerAddress());
        }
        return new Address(address, a.certificateFile(), a.keyFile(), a.prefix(), a.websocket(), a.caCertificateFile(), network,
                a.connectionsPerAddress());
    }

    private static void noCa(String listener, Address a) {
        if (a != null && a.caCertificateFile() != null) {
            throw new IllegalArgumentException("listen." + listener + ".ca_certificate_file is not a setting: only "
                    + "listen.private_api.ca_certificate_file exists (the CA replicas trust for each other's grpcs:// private API); remove it");
        }
    }

    /** The private API's CA is read when a replica first calls another: a missing file must stop KAS now, not fail requests later. */
    private static void caFile(Address a) {
        if (a == null || a.caCertificateFile() == null) return;
        String key = "listen.private_api.ca_certificate_file";
        String pem = contents(key, a.caCertificateFile());
        if (!pem.contains("-----BEGIN CERTIFICATE-----")) {
            throw new IllegalArgumentException(key + " " + a.caCertificateFile()
                    + " holds no PEM certificate (-----BEGIN CERTIFICATE-----): give the CA that signed the other replicas' private API certificates");
        }
    }

    private static void tlsPair(String listener, Address a) {
        if (a == null || (a.certificateFile() == null) == (a.keyFile() == null)) return;
        throw new IllegalArgumentException("listen." + listener + ".certificate_file and listen." + listener
                + ".key_file go together (PEM certificate chain and its private key): set both for TLS, or neither");
    }

    private static void noWebsocket(String listener, Address a) {
        if (a != null && a.websocket() != null) {
            throw new IllegalArgumentException("listen." + listener + ".websocket is not a setting: only listen.agent.websocket exists "
                    + "(agents may dial ws:// or wss://); remove it");
        }
        if (a != null && a.connectionsPerAddress() != null) {
            throw new IllegalArgumentException("listen." + listener + ".connections_per_address is not a setting: only "
                    + "listen.agent.connections_per_address exists (agents' connections from one host); remove it");
        }
    }

    private static Address fillProxy(Address a, Path base) {
        Address f = fill("k8s_proxy", a, DEFAULT_K8S_PROXY, base);
        String prefix = f.prefix() == null ? DEFAULT_PREFIX : f.prefix();
        if (!prefix.startsWith("/") || prefix.endsWith("/")) {
            throw new IllegalArgumentException("listen.k8s_proxy.prefix must start with / and not end with / (like /k8s-proxy), got " + prefix);
        }
        return new Address(f.address(), f.certificateFile(), f.keyFile(), prefix, null, null, f.network());
    }

    /** {@code file} taken from {@code base} when relative; null stays null. */
    private static String relative(Path base, String file) {
        return file == null ? null : base.resolve(file).toString();
    }

    /**
     * A secret is base64 of exactly 32 bytes, given inline or in a file; anything else stops KAS at start.
     * {@code why} says, when it is missing, what needs it.
     */
    static String secret(String name, String inline, String file, String why) {
        String value = inline;
        String where = name;
        if (value == null && file != null) {
            try {
                value = Files.readString(Path.of(file)).trim();
                where = name + "_file " + file;
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read " + name + "_file " + file + ": " + Causes.describe(e), e);
            }
        }
        if (value == null) {
            throw new IllegalArgumentException(name + " (or " + name + "_file) is missing: " + why
                    + "generate one with 'head -c 32 /dev/urandom | base64'");
        }
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(value.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + " is not valid base64: it must be base64 of exactly 32 random bytes ('head -c 32 /dev/urandom | base64')");
        }
        if (raw.length != 32) {
            throw new IllegalArgumentException(where + " decodes to " + raw.length + " bytes, not 32: generate one with 'head -c 32 /dev/urandom | base64'");
        }
        return value.trim();
    }

    @Override
    public String toString() {
        return "KasConfig[listen=" + listen + ", gitlab=" + gitlab + ", agentsFile=" + agentsFile + ", agentConfiguration="
                + agentConfiguration + ", ciAccessMode=" + ciAccessMode + ", ownPrivateApiUrl=" + ownPrivateApiUrl
                + ", ownPrivateApiHost=" + ownPrivateApiHost + ", redis=" + redis + ", flux=" + flux + ", receptiveAgents=" + receptiveAgents + "]";
    }
}
