package dev.kastor.bridge;

import dev.kastor.bridge.agentapp.Agent;
import dev.kastor.bridge.agents.AgentStore;
import dev.kastor.bridge.config.agent.ConfigAgentModule;
import dev.kastor.bridge.kubeapi.agent.KubeApiUpstream;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.bridge.registration.agent.RegistrationSettings;
import dev.kastor.bridge.tunnel.agent.PoolSettings;
import dev.kastor.testing.Programs;
import io.grpc.Attributes;
import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

/**
 * KAS at fleet scale (run by hand: {@code bench/fleet-bench}). KAS runs as its own process ({@code kastor-kas serve},
 * as deployed), so what is measured of it is its own: heap after a full GC, threads, file descriptors, resident memory
 * and CPU, read from {@code /proc} and {@code jcmd}. The agents are real agents ({@link Agent#start}: the same gRPC
 * streams, tokens, registration and configuration as {@code kastor-agent}) run by the thousand in this JVM, on gRPC's
 * shared event loops and virtual-thread timers, each with its own connection, from one of several loopback addresses
 * (KAS allows {@code 1,024} connections per address, and a fleet's clusters come from many).
 */
public final class FleetBench {
    static final String JOB_TOKEN = "fleet-bench-job-token";
    static final int AGENTS_PER_ADDRESS = 1000;

    public static void main(String[] args) throws Exception {
        int agents = Integer.getInteger("agents", 10_000);
        int few = Integer.getInteger("few", 100);
        int requests = Integer.getInteger("requests", 2000);
        String java = System.getProperty("kasJava", ProcessHandle.current().info().command().orElse("java"));
        Path dir = Files.createTempDirectory("fleet-bench");
        try (var git = GitHttpServer.start(dir.resolve("git"));
             var upstream = new Upstream().handle("/", ex -> {
                byte[] body = "{\"kind\":\"Status\"}".getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().set("Content-Type", "application/json");
                ex.sendResponseHeaders(200, body.length);
                try (ex) {
                    ex.getResponseBody().write(body);
                }
            })) {
            // the first agent registered (id 1) is the one a CI job's requests go to
            long probe = 1;
            Files.writeString(dir.resolve("jobs.yaml"), "- token: " + JOB_TOKEN + "\n  project: fleet/app\n  agents: [" + probe + "]\n");
            // every agent's config file in one project, as a fleet keeps them (.gitlab/agents/<name>/config.yaml)
            git.createRepo(CONFIG_PROJECT);
            git.commit(CONFIG_PROJECT, configFiles(agents, 0), "the fleet's agents");
            Files.writeString(dir.resolve("webhook-secret"), WEBHOOK_SECRET);
            var store = new AgentStore(dir.resolve("agents.json"));
            var names = IntStream.range(0, agents).mapToObj(i -> "a" + i).toList();
            if (Integer.getInteger("replicas", 1) == 2) {
                failover(java, dir, git.urlTemplate(), upstream.url(), store.registerAll(CONFIG_PROJECT, names), probe);
                System.exit(0);
            }
            var kas = new KasProcess(java, dir, git.urlTemplate());
            kas.start();
            var empty = kas.snapshot();
            System.out.println("KAS with no agent:      " + empty);
            // registered while KAS runs (it reads the store again when it changed), so the figure above holds none
            var registered = store.registerAll(CONFIG_PROJECT, names);
            System.out.printf("KAS pid %d, %d agents registered%n", kas.pid(), agents);

            try (var fleet = new Fleet(kas.agentPort(), upstream.url())) {
                fleet.connect(registered.subList(0, few));
                kas.awaitConnected(few, Duration.ofMinutes(1));
                var client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                String url = kas.proxyUrl() + "/api/v1/namespaces/default/pods";
                String auth = "Bearer ci:" + probe + ":" + JOB_TOKEN;
                latencies(client, url, auth, Integer.getInteger("warmup", 5000)); // KAS's JIT compiles the proxy's path
                var few100 = Latency.of(latencies(client, upstream.url() + "/api/v1/namespaces/default/pods", null, requests),
                        latencies(client, url, auth, requests));
                var fewSnapshot = kas.snapshot();
                System.out.println("KAS with " + few + " agents:    " + fewSnapshot);
                System.out.println("  latency " + few100);

                long start = System.nanoTime();
                fleet.connect(registered.subList(few, agents));
                kas.awaitConnected(agents, Duration.ofMinutes(10));
                System.out.printf("%d agents connected in %.1f s%n", agents, (System.nanoTime() - start) / 1e9);
                Thread.sleep(Duration.ofSeconds(Integer.getInteger("settle", 20)));
                // Latency first: the fleet's next registrations are minutes away, so neither KAS nor this JVM is busy with them.
                latencies(client, url, auth, requests / 4);
                var all = Latency.of(latencies(client, upstream.url() + "/api/v1/namespaces/default/pods", null, requests),
                        latencies(client, url, auth, requests));
                var full = kas.snapshot();
                System.out.println("KAS with " + agents + " agents: " + full);
                System.out.println("  latency " + all);
                // A window of a whole registration period: every agent registers once in it, besides keepalives and pools.
                double cpu = kas.cpuShare(REGISTRATION.period().plusSeconds(10));
                // Everything an agent costs: its connection and streams, its configuration, its registration.
                System.out.printf("per agent: heap %.1f KiB, resident %.1f KiB, %.3f threads, %.2f file descriptors; KAS idle CPU %.1f %% of one core"
                                + " (%d agents, registering every %s); added latency p50 %.2f ms vs %.2f ms with %d (ratio %.2f)%n",
                        (full.heapKib() - empty.heapKib()) / (double) agents, (full.rssKib() - empty.rssKib()) / (double) agents,
                        (full.threads() - empty.threads()) / (double) agents, (full.fds() - empty.fds()) / (double) agents,
                        cpu * 100, agents, REGISTRATION.period(), all.addedP50(), few100.addedP50(), few, all.addedP50() / few100.addedP50());

                configChange(kas, git, fleet, 1, 1); // the usual change: one agent's file
                configChange(kas, git, fleet, agents, 2); // every file at once
                if (Boolean.parseBoolean(System.getProperty("storm", "true"))) storm(kas, client, url, auth, agents);
            } finally {
                kas.stop();
            }
        }
        System.exit(0);
    }

    /**
     * The reconnect storm: KAS is killed with every agent connected, stays away {@code down} seconds, and starts again.
     * Measured: how long until every agent is back, KAS's peak descriptors, threads and resident memory meanwhile, and
     * what a CI job's request gets during the storm (one every 100 ms: a 503 that says why, never a hang).
     */
    static void storm(KasProcess kas, HttpClient client, String url, String auth, int agents) throws Exception {
        kas.kill();
        Thread.sleep(Duration.ofSeconds(Integer.getInteger("down", 5)));
        long restart = System.nanoTime();
        kas.start();
        double ready = (System.nanoTime() - restart) / 1e9;
        var peak = new Snapshot(0, 0, 0, 0, 0);
        var job = new JobRequests();
        var connectedAt = new java.util.LinkedHashMap<Integer, Double>();
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        long nextCount = 0;
        int connected = 0;
        double allBack = -1;
        while (System.nanoTime() < deadline) {
            job.send(client, url, auth);
            peak = peak.max(kas.proc());
            if (System.nanoTime() >= nextCount) {
                connected = kas.connected();
                double at = (System.nanoTime() - restart) / 1e9 - ready;
                for (int pct : new int[] {50, 90, 99, 100}) {
                    if (!connectedAt.containsKey(pct) && connected >= (long) agents * pct / 100) connectedAt.put(pct, at);
                }
                nextCount = System.nanoTime() + Duration.ofSeconds(1).toNanos();
                if (connected >= agents) {
                    allBack = at;
                    break;
                }
            }
            Thread.sleep(100);
        }
        System.out.printf("reconnect storm: KAS killed with %d agents connected, restarted after %d s, ready in %.1f s; share of agents back"
                + " (%% = s after KAS was ready): %s; %s%n", agents, Integer.getInteger("down", 5), ready, connectedAt, allBack < 0 ? "NOT all back: " + connected : "all back");
        System.out.printf("  KAS during the storm, peak: %d file descriptors, %d threads, resident %.1f MiB; after it: %s%n", peak.fds(), peak.threads(),
                peak.rssKib() / 1024.0, kas.snapshot());
        System.out.println("  a CI job's requests during the storm (one every 100 ms): " + job);
    }

    /** A CI job's requests, one after the other: what each got (status, Retry-After), the slowest answer, the first refusal. */
    static final class JobRequests {
        private final java.util.TreeMap<String, Integer> answers = new java.util.TreeMap<>();
        private long slowest;
        private String refusal;

        void send(HttpClient client, String url, String auth) throws Exception {
            long start = System.nanoTime();
            String answer;
            try {
                var r = client.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", auth).timeout(Duration.ofSeconds(30)).build(),
                        HttpResponse.BodyHandlers.ofString());
                answer = r.statusCode() + r.headers().firstValue("Retry-After").map(v -> " Retry-After " + v).orElse("");
                if (r.statusCode() != 200 && refusal == null) refusal = r.body();
            } catch (java.net.http.HttpTimeoutException e) {
                answer = "no answer within 30 s";
            }
            slowest = Math.max(slowest, System.nanoTime() - start);
            answers.merge(answer, 1, Integer::sum);
        }

        @Override
        public String toString() {
            return String.format("%s; slowest answer %.2f s", answers, slowest / 1e9) + (refusal == null ? "" : "\n  what a refusal said: " + refusal);
        }
    }

    static final String CONFIG_PROJECT = "fleet/config";
    static final String WEBHOOK_SECRET = "fleet-bench-webhook-secret";

    /** The config files of the first {@code agents} agents, at {@code version}. */
    static java.util.Map<String, byte[]> configFiles(int agents, int version) {
        var files = new java.util.HashMap<String, byte[]>();
        for (int i = 0; i < agents; i++) {
            files.put(".gitlab/agents/a" + i + "/config.yaml", ("# version " + version + "\nobservability:\n  logging:\n    level: info\n")
                    .getBytes(StandardCharsets.UTF_8));
        }
        return files;
    }

    /**
     * A config change: one commit changes the files of the first {@code changed} agents, GitLab's push webhook tells
     * KAS; measured: how long until every one of them runs the new commit, and KAS's CPU meanwhile.
     */
    static void configChange(KasProcess kas, GitHttpServer git, Fleet fleet, int changed, int version) throws Exception {
        String commit = git.commit(CONFIG_PROJECT, configFiles(changed, version), "change " + changed + " agents");
        long cpu = kas.cpuTicks();
        long start = System.nanoTime();
        var hook = HttpRequest.newBuilder(URI.create(kas.apiUrl() + "/api/v1/config/webhook")).header("X-Gitlab-Event", "Push Hook")
                .header("X-Gitlab-Token", WEBHOOK_SECRET)
                .POST(HttpRequest.BodyPublishers.ofString("{\"project\":{\"path_with_namespace\":\"" + CONFIG_PROJECT + "\"}}")).build();
        var answer = HttpClient.newHttpClient().send(hook, HttpResponse.BodyHandlers.ofString());
        if (answer.statusCode() != 202) throw new IllegalStateException("webhook answered " + answer.statusCode() + ": " + answer.body());
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        int reached;
        while ((reached = fleet.runningCommit(commit, changed)) < changed) {
            if (System.nanoTime() > deadline) throw new IllegalStateException(reached + " of " + changed + " agents got config commit " + commit);
            Thread.sleep(100);
        }
        double took = (System.nanoTime() - start) / 1e9;
        double cpuSeconds = (kas.cpuTicks() - cpu) / 100.0;
        System.out.printf("config change of %d agents' files (one commit, push webhook): every one runs it after %.1f s; KAS used %.2f s of CPU"
                + " (%.2f ms per agent)%n", changed, took, cpuSeconds, cpuSeconds * 1000 / changed);
    }

    /** Nanoseconds each of {@code n} GETs took, sorted; a GET that does not answer 200 stops the bench. */
    static long[] latencies(HttpClient client, String url, String auth, int n) throws Exception {
        long[] took = new long[n];
        for (int i = 0; i < n; i++) {
            var b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
            if (auth != null) b.header("Authorization", auth);
            long start = System.nanoTime();
            var r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
            took[i] = System.nanoTime() - start;
            if (r.statusCode() != 200) throw new IllegalStateException(url + " answered " + r.statusCode() + ": " + r.body());
        }
        Arrays.sort(took);
        return took;
    }

    /** A proxied GET's latency against the same GET straight to the upstream, p50 and p99 in ms. */
    record Latency(double directP50, double directP99, double proxiedP50, double proxiedP99) {
        static Latency of(long[] direct, long[] proxied) {
            return new Latency(ms(direct, 50), ms(direct, 99), ms(proxied, 50), ms(proxied, 99));
        }

        double addedP50() {
            return proxiedP50 - directP50;
        }

        private static double ms(long[] sorted, int percentile) {
            return sorted[sorted.length * percentile / 100] / 1e6;
        }

        @Override
        public String toString() {
            return String.format("direct p50 %.2f ms p99 %.2f ms | through KAS+agent p50 %.2f ms p99 %.2f ms | added p50 %.2f ms p99 %.2f ms",
                    directP50, directP99, proxiedP50, proxiedP99, addedP50(), proxiedP99 - directP99);
        }
    }

    /** What KAS's process holds at one moment: heap after a full GC, and from /proc its threads, descriptors and memory. */
    record Snapshot(long heapKib, long rssKib, int threads, int fds, int connected) {
        Snapshot max(Snapshot o) {
            return new Snapshot(Math.max(heapKib, o.heapKib), Math.max(rssKib, o.rssKib), Math.max(threads, o.threads), Math.max(fds, o.fds),
                    Math.max(connected, o.connected));
        }

        @Override
        public String toString() {
            return String.format("heap %.1f MiB after GC, resident %.1f MiB, %d threads, %d file descriptors, %d agents connected",
                    heapKib / 1024.0, rssKib / 1024.0, threads, fds, connected);
        }
    }

    /** Agents register every 5 minutes ({@code registrationPeriod} shortens it: the idle CPU window is one period long). */
    static final RegistrationSettings REGISTRATION = new RegistrationSettings(Duration.parse(System.getProperty("registrationPeriod", "PT5M")),
            RegistrationSettings.defaults().backoffMin(), RegistrationSettings.defaults().backoffMax());

    /** The agents: real ones, each on its own connection from one of several loopback addresses. */
    static final class Fleet implements AutoCloseable {
        private final List<Integer> kasPorts;
        private final URI upstream;
        private final List<Agent> agents = new ArrayList<>();

        Fleet(int kasPort, URI upstream) {
            this(List.of(kasPort), upstream);
        }

        /**
         * Agents of KAS replicas on {@code kasPorts}: each agent dials them in its own order (the first it can reach
         * wins), as agents behind a Service reach whichever replica is up.
         */
        Fleet(List<Integer> kasPorts, URI upstream) {
            this.kasPorts = kasPorts;
            this.upstream = upstream;
            NameResolverRegistry.getDefaultRegistry().register(new Replicas(kasPorts));
        }

        void connect(List<AgentStore.Registered> registered) {
            for (var r : registered) {
                // 127.0.0.2 and up: as many source addresses as KAS's bound of connections per address needs
                String from = "127.0.0." + (2 + agents.size() / AGENTS_PER_ADDRESS);
                var channel = (kasPorts.size() == 1 ? NettyChannelBuilder.forAddress("127.0.0.1", kasPorts.getFirst())
                        : NettyChannelBuilder.forTarget(Replicas.SCHEME + ":///" + agents.size() % kasPorts.size())).usePlaintext()
                        .localSocketPicker(new NettyChannelBuilder.LocalSocketPicker() {
                            @Override
                            public SocketAddress createSocketAddress(SocketAddress remote, Attributes attrs) {
                                return new InetSocketAddress(from, 0);
                            }
                        });
                String token = r.token();
                agents.add(Agent.start(channel, () -> token, new KubeApiUpstream(upstream, null, () -> "sa-token"), PoolSettings.defaults(),
                        "fleet-bench", REGISTRATION, JsonLog.quiet()));
                if (agents.size() == 1) virtualTimersOnceConnected(agents.getFirst());
            }
        }

        /**
         * The first agent runs on platform timers until it holds a tunnel stream: by then gRPC's call classes are
         * loaded, which virtual timers loading them at once can deadlock on (AgentTimers); every later agent's timers
         * are virtual, or thousands of agents would hold four platform threads each.
         */
        private static void virtualTimersOnceConnected(Agent first) {
            try {
                dev.kastor.testing.Eventually.until(Duration.ofMinutes(1), () -> "the first agent connected", () -> first.pool().idleStreams() > 0);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            dev.kastor.bridge.module.AgentTimers.virtualThreadsInThisProcess();
        }

        /** How many of the first {@code n} agents run config commit {@code commit}. */
        int runningCommit(String commit, int n) {
            int running = 0;
            for (Agent a : agents.subList(0, n)) {
                if (a.module(ConfigAgentModule.class).current().map(c -> c.commit().equals(commit)).orElse(false)) running++;
            }
            return running;
        }

        @Override
        public void close() {
            agents.parallelStream().forEach(Agent::close);
        }
    }

    /**
     * {@code fleet-replicas:///<k>}: every replica's agent port, starting with the {@code k}-th, so pick-first connects
     * to that one and falls back to the next when it is gone (as a Service sends new connections to live pods only).
     */
    static final class Replicas extends NameResolverProvider {
        static final String SCHEME = "fleet-replicas";
        private final List<Integer> ports;

        Replicas(List<Integer> ports) {
            this.ports = ports;
        }

        @Override
        public NameResolver newNameResolver(URI target, NameResolver.Args args) {
            if (!SCHEME.equals(target.getScheme())) return null;
            int first = Integer.parseInt(target.getPath().substring(1));
            var order = new ArrayList<EquivalentAddressGroup>();
            for (int i = 0; i < ports.size(); i++) {
                order.add(new EquivalentAddressGroup(new InetSocketAddress("127.0.0.1", ports.get((first + i) % ports.size()))));
            }
            return new NameResolver() {
                @Override
                public String getServiceAuthority() {
                    return "kas";
                }

                @Override
                public void start(Listener2 listener) {
                    listener.onResult(ResolutionResult.newBuilder().setAddressesOrError(io.grpc.StatusOr.fromValue(order)).build());
                }

                @Override
                public void shutdown() {}
            };
        }

        @Override
        public String getDefaultScheme() {
            return SCHEME;
        }

        @Override
        protected boolean isAvailable() {
            return true;
        }

        @Override
        protected int priority() {
            return 5;
        }
    }

    /**
     * Two replicas on one Redis, the fleet split between them; one is killed. Measured: how long until the other holds
     * every agent, and what a CI job's request for an agent of the lost replica gets meanwhile (sent to the survivor,
     * which routed it to the lost one until then).
     */
    static void failover(String java, Path dir, String gitUrlTemplate, URI upstream, List<AgentStore.Registered> registered, long probe)
            throws Exception {
        int agents = registered.size();
        try (var redis = RedisServer.start()) {
            var a = new KasProcess(java, dir, gitUrlTemplate, "kas-a", redis.url());
            var b = new KasProcess(java, dir, gitUrlTemplate, "kas-b", redis.url());
            a.start();
            b.start();
            try (var fleet = new Fleet(List.of(a.agentPort(), b.agentPort()), upstream)) {
                long start = System.nanoTime();
                fleet.connect(registered);
                long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
                while (a.connected() + b.connected() < agents) {
                    if (System.nanoTime() > deadline) throw new IllegalStateException((a.connected() + b.connected()) + " of " + agents + " connected");
                    Thread.sleep(1000);
                }
                System.out.printf("two replicas on one Redis: %d agents connected in %.1f s%n", agents, (System.nanoTime() - start) / 1e9);
                Thread.sleep(Duration.ofSeconds(Integer.getInteger("settle", 20)));
                System.out.println("  replica A: " + a.snapshot());
                System.out.println("  replica B: " + b.snapshot());
                // One whole registration period: every agent registers once in it (written to Redis), and the replica
                // refreshes its agents' Redis entries (every 4 minutes) at least once.
                double cpuA = a.cpuShare(REGISTRATION.period().plusSeconds(10));
                System.out.printf("  replica A's CPU over %s: %.1f %% of one core (registrations and Redis entries of its agents, keepalives)%n",
                        REGISTRATION.period().plusSeconds(10), cpuA * 100);
                var client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                String url = b.proxyUrl() + "/api/v1/namespaces/default/pods";
                String auth = "Bearer ci:" + probe + ":" + JOB_TOKEN;
                latencies(client, url, auth, Integer.getInteger("warmup", 5000)); // agent 1 is on A: B routes it there over the private API
                long[] routed = latencies(client, url, auth, 1000);
                System.out.printf("  a request through B for an agent on A (routed over the private API): p50 %.2f ms p99 %.2f ms%n",
                        routed[routed.length / 2] / 1e6, routed[routed.length * 99 / 100] / 1e6);

                int onA = a.connected();
                a.kill();
                long killed = System.nanoTime();
                var job = new JobRequests();
                double allOnB = -1;
                long nextCount = 0;
                deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
                while (System.nanoTime() < deadline) {
                    job.send(client, url, auth);
                    if (System.nanoTime() >= nextCount) {
                        nextCount = System.nanoTime() + Duration.ofSeconds(1).toNanos();
                        if (b.connected() >= agents) {
                            allOnB = (System.nanoTime() - killed) / 1e9;
                            break;
                        }
                    }
                    Thread.sleep(100);
                }
                System.out.printf("  replica A killed holding %d agents: %s; B now: %s%n", onA,
                        allOnB < 0 ? "NOT all on B after 3 min: " + b.connected() : String.format("all on B %.1f s later", allOnB), b.snapshot());
                System.out.println("  a CI job's requests through B meanwhile (one every 100 ms): " + job);
            } finally {
                a.stop();
                b.stop();
            }
        }
    }

    /** {@code kastor-kas serve} as its own process, on loopback ports of its own. */
    static final class KasProcess {
        private final String java;
        private final Path dir;
        private final int agentPort = Programs.freePort();
        private final int apiPort = Programs.freePort();
        private final int proxyPort = Programs.freePort();
        private final HttpClient http = HttpClient.newHttpClient();
        private final String name;
        private Process process;

        KasProcess(String java, Path dir, String gitUrlTemplate) throws IOException {
            this(java, dir, gitUrlTemplate, "kas", null);
        }

        /** A replica {@code name} ({@code kas.yaml} and {@code kas.log} take its name) tracked in the Redis at {@code redisUrl}. */
        KasProcess(String java, Path dir, String gitUrlTemplate, String name, String redisUrl) throws IOException {
            this.java = java;
            this.dir = dir;
            this.name = name;
            int privateApiPort = Programs.freePort();
            String privateApi = redisUrl == null ? "" : "  private_api: {address: 127.0.0.1:" + privateApiPort + "}\n";
            String replica = redisUrl == null ? "" : """
                    private_api_secret_key: %s
                    own_private_api_url: grpc://127.0.0.1:%d
                    redis: {url: %s, key_prefix: fleet}
                    """.formatted(Bridge.SECRET, privateApiPort, redisUrl);
            Files.writeString(dir.resolve(name + ".yaml"), """
                    listen:
                      agent: {address: 127.0.0.1:%d}
                      api: {address: 127.0.0.1:%d}
                      k8s_proxy: {address: 127.0.0.1:%d}
                    %sgitlab:
                      local_jobs_file: jobs.yaml
                    agents_file: agents.json
                    api_secret_key: %s
                    agent_configuration:
                      git_url_template: %s
                      poll_period: 5m
                      webhook_secret_file: %s
                    """.formatted(agentPort, apiPort, proxyPort, privateApi, Bridge.SECRET, gitUrlTemplate, dir.resolve("webhook-secret")) + replica);
        }

        void start() throws Exception {
            var cmd = new ArrayList<>(List.of(java));
            cmd.addAll(List.of(System.getProperty("kasJvmOptions", "-Xmx1g").split(" ")));
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.kastor.bridge.KasMain", "serve", "--config",
                    dir.resolve(name + ".yaml").toString()));
            process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(name + ".log").toFile()))
                    .start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (true) {
                try {
                    if (http.send(HttpRequest.newBuilder(URI.create(apiUrl() + "/readyz")).build(), HttpResponse.BodyHandlers.ofString())
                            .statusCode() == 200) return;
                } catch (IOException notYet) {
                    // starting
                }
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    throw new IllegalStateException("KAS did not start; its log: " + Files.readString(dir.resolve(name + ".log")));
                }
                Thread.sleep(100);
            }
        }

        /** Ends KAS at once, as an OOM kill or a node loss would: no graceful goodbye to the agents. */
        void kill() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor();
        }

        void stop() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) kill();
        }

        long pid() {
            return process.pid();
        }

        int agentPort() {
            return agentPort;
        }

        String apiUrl() {
            return "http://127.0.0.1:" + apiPort;
        }

        String proxyUrl() {
            return "http://127.0.0.1:" + proxyPort + "/k8s-proxy";
        }

        /** {@code kastor_kas_connected_agents}, or -1 while KAS does not answer. */
        int connected() {
            try {
                String metrics = http.send(HttpRequest.newBuilder(URI.create(apiUrl() + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                Matcher m = Pattern.compile("(?m)^kastor_kas_connected_agents (\\d+)").matcher(metrics);
                return m.find() ? Integer.parseInt(m.group(1)) : -1;
            } catch (IOException e) {
                return -1;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -1;
            }
        }

        void awaitConnected(int n, Duration within) throws InterruptedException {
            long deadline = System.nanoTime() + within.toNanos();
            int now;
            while ((now = connected()) < n) {
                if (System.nanoTime() > deadline) throw new IllegalStateException(now + " of " + n + " agents connected after " + within);
                Thread.sleep(500);
            }
        }

        Snapshot snapshot() throws Exception {
            String jcmd = Path.of(java).resolveSibling("jcmd").toString();
            run(jcmd, String.valueOf(pid()), "GC.run");
            String heap = run(jcmd, String.valueOf(pid()), "GC.heap_info");
            Matcher used = Pattern.compile("used (\\d+)K").matcher(heap);
            if (!used.find()) throw new IllegalStateException("no heap figure in: " + heap);
            var proc = proc();
            return new Snapshot(Long.parseLong(used.group(1)), proc.rssKib(), proc.threads(), proc.fds(), connected());
        }

        /** What /proc says of KAS now (no heap figure: that needs a full GC). */
        Snapshot proc() throws IOException {
            String status = Files.readString(Path.of("/proc/" + pid() + "/status"));
            long fds;
            try (var l = Files.list(Path.of("/proc/" + pid() + "/fd"))) {
                fds = l.count();
            }
            return new Snapshot(0, field(status, "VmRSS"), (int) field(status, "Threads"), (int) fds, 0);
        }

        /** KAS's CPU time over {@code window}, as a share of one core. */
        double cpuShare(Duration window) throws Exception {
            long before = cpuTicks();
            long start = System.nanoTime();
            Thread.sleep(window);
            return (cpuTicks() - before) / 100.0 / ((System.nanoTime() - start) / 1e9);
        }

        long cpuTicks() throws IOException {
            String stat = Files.readString(Path.of("/proc/" + pid() + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14 and 15 of stat)
        }

        private static long field(String status, String name) {
            Matcher m = Pattern.compile("(?m)^" + name + ":\\s+(\\d+)").matcher(status);
            if (!m.find()) throw new IllegalStateException("no " + name + " in /proc status");
            return Long.parseLong(m.group(1));
        }

        private static String run(String... cmd) throws Exception {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) throw new IllegalStateException(String.join(" ", cmd) + ": " + out);
            return out;
        }
    }
}
