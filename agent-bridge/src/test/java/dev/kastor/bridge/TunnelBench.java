package dev.kastor.bridge;

import dev.kastor.bridge.agentapp.Agent;
import dev.kastor.bridge.tunnel.agent.PoolSettings;
import java.io.InputStream;
import java.io.OutputStream;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The tunnel benchmark (bench/tunnel-bench runs it by hand; not a test). Everything on loopback in one JVM:
 * added latency through KAS + agent vs direct, LIST throughput ratio, concurrent streams on one agent, and heap
 * per idle connected agent. Prints figures measured in this run.
 */
public final class TunnelBench {
    public static void main(String[] args) throws Exception {
        int requests = Integer.getInteger("requests", 3000);
        // Long enough for the JIT to finish compiling both paths: compiler threads competing for the CPUs during the
        // measurement made the figures swing by 2x between runs.
        int warmup = Integer.getInteger("warmup", 5000);
        // The streaming path runs per 32 KiB frame: the JIT has it compiled only after a few GiB (the first 400 MiB
        // passed at a third of the speed of the fifth), so steady state needs this many large bodies each way first.
        int listWarmup = Integer.getInteger("listWarmup", 8);
        int listMib = Integer.getInteger("listMib", 200);
        int streams = Integer.getInteger("streams", 500);
        int agents = Integer.getInteger("agents", 1000);
        int podCount = Integer.getInteger("pods", 10000);
        byte[] small = "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"web-0\"}}".getBytes(StandardCharsets.UTF_8);
        var open = new CountDownLatch(streams);
        var release = new CountDownLatch(1);
        try (Upstream up = new Upstream()
                .handle("/small", ex -> Upstream.send(ex, 200, "application/json", small))
                .handle("/version", ex -> Upstream.send(ex, 200, "application/json",
                        "{\"major\":\"1\",\"minor\":\"32\",\"gitVersion\":\"v1.32.0-bench\"}".getBytes(StandardCharsets.UTF_8)))
                .handle("/list", ex -> {
                    try (ex) {
                        long size = listMib * 1024L * 1024;
                        ex.sendResponseHeaders(200, size);
                        OutputStream out = ex.getResponseBody();
                        byte[] block = new byte[64 * 1024];
                        Arrays.fill(block, (byte) 'x');
                        for (long s = 0; s < size; s += block.length) out.write(block);
                    }
                })
                .handle("/hold", ex -> {
                    try (ex) {
                        open.countDown();
                        release.await(120, TimeUnit.SECONDS);
                        ex.sendResponseHeaders(200, small.length);
                        ex.getResponseBody().write(small);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
             Bridge bridge = new Bridge(Files.createTempDirectory("tunnel-bench"))) {
            var reg = bridge.register("bench/project", "bench");
            long id = reg.agent().id();
            bridge.job("bench-job", 1, 1, "bench/app", id);
            try (Agent agent = bridge.startAgent(reg.token(), up.url())) {
                bridge.awaitConnected(id);
                HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                String auth = "Bearer ci:" + id + ":bench-job";
                String direct = up.url().toString();
                String tunnel = bridge.proxyUrl();

                // Latency: warm up both paths, then alternate so both see the same machine load.
                for (int i = 0; i < warmup; i++) {
                    get(client, direct + "/small", null);
                    try {
                        get(client, tunnel + "/small", auth);
                    } catch (IllegalStateException e) {
                        e.printStackTrace();
                        System.out.printf("warm-up request %d failed: agent idle %d busy %d, KAS open %d%n%s%n", i, agent.pool().idleStreams(),
                                agent.pool().busyStreams(), bridge.kas.tunnels().openTunnels(), e.getMessage());
                        throw e;
                    }
                }
                long[] d = new long[requests];
                long[] t = new long[requests];
                for (int i = 0; i < requests; i++) {
                    d[i] = get(client, direct + "/small", null);
                    try {
                        t[i] = get(client, tunnel + "/small", auth);
                    } catch (IllegalStateException e) {
                        System.out.printf("request %d failed: agent idle %d busy %d, KAS open %d%n%s%n", i, agent.pool().idleStreams(),
                                agent.pool().busyStreams(), bridge.kas.tunnels().openTunnels(), e.getMessage());
                        Thread.sleep(3000);
                        System.out.printf("3 s later: agent idle %d busy %d, KAS open %d%n", agent.pool().idleStreams(),
                                agent.pool().busyStreams(), bridge.kas.tunnels().openTunnels());
                        throw e;
                    }
                }
                Arrays.sort(d);
                Arrays.sort(t);
                System.out.printf("latency  direct p50 %.3f ms p99 %.3f ms | through KAS+agent p50 %.3f ms p99 %.3f ms | added p50 %.3f ms p99 %.3f ms%n",
                        ms(d[requests / 2]), ms(d[requests * 99 / 100]), ms(t[requests / 2]), ms(t[requests * 99 / 100]),
                        ms(t[requests / 2] - d[requests / 2]), ms(t[requests * 99 / 100] - d[requests * 99 / 100]));

                // LIST throughput: one large body, best of 3 each way, after a warm-up of the streaming path (the
                // small requests above never took it). Two clients: curl, which reads as fast as the upstream writes
                // (the strict baseline), and the JDK HttpClient, a client as slow as many real ones.
                for (int i = 0; i < listWarmup; i++) {
                    jdkThroughput(client, direct + "/list", null, listMib);
                    jdkThroughput(client, tunnel + "/list", auth, listMib);
                }
                for (boolean curl : CURL ? new boolean[] {true, false} : new boolean[] {false}) {
                    double bestDirect = 0;
                    double bestTunnel = 0;
                    for (int i = 0; i < 3; i++) {
                        bestDirect = Math.max(bestDirect, curl ? curlThroughput(direct + "/list", null, listMib) : jdkThroughput(client, direct + "/list", null, listMib));
                        bestTunnel = Math.max(bestTunnel, curl ? curlThroughput(tunnel + "/list", auth, listMib) : jdkThroughput(client, tunnel + "/list", auth, listMib));
                    }
                    System.out.printf("LIST %d MiB (%s)  direct %.0f MiB/s | through %.0f MiB/s | ratio %.2f%n", listMib,
                            curl ? "curl" : "JDK HttpClient", bestDirect, bestTunnel, bestTunnel / bestDirect);
                    if (curl) {
                        // What any relay with two hops (KAS, agent) costs on this machine before doing any work: two
                        // byte-for-byte TCP relays in a row, each loopback hop copying every byte into and out of the kernel.
                        try (var near = new TcpRelay(up.url().getPort()); var far = new TcpRelay(near.port())) {
                            double relayed = 0;
                            for (int i = 0; i < 3; i++) relayed = Math.max(relayed, curlThroughput("http://127.0.0.1:" + far.port() + "/list", null, listMib));
                            System.out.printf("LIST %d MiB (curl)  through two plain TCP relays %.0f MiB/s | ratio %.2f (the ceiling of any two-hop relay here)%n",
                                    listMib, relayed, relayed / bestDirect);
                        }
                    }
                }

                // LIST as a CI job makes it: the real kubectl lists PODS pods page by page (500 a page, as it asks) and
                // decodes them, against an API that serves them from memory as the API server's watch cache does.
                if (KUBECTL) kubectlList(podCount);

                // Concurrent streams on one agent: all held open at once, then released.
                var errors = new AtomicInteger();
                var pool = Executors.newVirtualThreadPerTaskExecutor();
                HttpClient many = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                List<Future<?>> futures = new ArrayList<>();
                for (int i = 0; i < streams; i++) {
                    futures.add(pool.submit(() -> {
                        try {
                            var r = many.send(HttpRequest.newBuilder(URI.create(tunnel + "/hold")).header("Authorization", auth)
                                    .timeout(Duration.ofSeconds(120)).build(), HttpResponse.BodyHandlers.ofByteArray());
                            if (r.statusCode() != 200) errors.incrementAndGet();
                        } catch (Exception e) {
                            errors.incrementAndGet();
                        }
                        return null;
                    }));
                }
                boolean allOpen = open.await(120, TimeUnit.SECONDS);
                int concurrent = streams - (int) open.getCount();
                release.countDown();
                for (Future<?> f : futures) f.get(120, TimeUnit.SECONDS);
                System.out.printf("concurrent streams on one agent: %d of %d open at once (%s), %d errors, agent pool now %d idle%n",
                        concurrent, streams, allOpen ? "all" : "NOT all", errors.get(), agent.pool().idleStreams());
                pool.shutdown();
            }

            // Heap per idle connected agent (KAS and agents share this JVM: the figure covers both halves).
            System.gc();
            Thread.sleep(1000);
            long before = usedHeap();
            List<Agent> idle = new ArrayList<>();
            for (int i = 0; i < agents; i++) {
                var r = bridge.register("bench/idle", "a" + i);
                idle.add(bridge.startAgent(r.token(), up.url(), null, () -> "t", PoolSettings.defaults()));
            }
            long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
            while (bridge.kas.tunnels().connectedAgents() < agents && System.nanoTime() < deadline) Thread.sleep(200);
            Thread.sleep(2000);
            System.gc();
            Thread.sleep(1000);
            long after = usedHeap();
            System.out.printf("idle agents: %d connected, %d tunnel streams; heap %.1f KiB per agent (KAS + agent halves together)%n",
                    bridge.kas.tunnels().connectedAgents(), bridge.kas.tunnels().openTunnels(), (after - before) / 1024.0 / agents);
            idle.forEach(Agent::close);
        }
        System.exit(0);
    }

    static long get(HttpClient client, String url, String auth) throws Exception {
        var b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
        if (auth != null) b.header("Authorization", auth);
        long start = System.nanoTime();
        HttpResponse<byte[]> r;
        try {
            r = client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (java.io.IOException e) {
            throw new IllegalStateException(url + ": " + e, e);
        }
        long took = System.nanoTime() - start;
        if (r.statusCode() != 200) throw new IllegalStateException(url + " answered " + r.statusCode() + ": " + new String(r.body(), StandardCharsets.UTF_8));
        return took;
    }

    /** MiB/s of one body read by curl, a client in a process of its own (as kubectl is). */
    static double curlThroughput(String url, String auth, int mib) throws Exception {
        var cmd = new ArrayList<>(List.of("curl", "-sS", "-o", "/dev/null", "-w", "%{size_download} %{time_total}"));
        if (auth != null) cmd.addAll(List.of("-H", "Authorization: " + auth));
        cmd.add(url);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (p.waitFor() != 0) throw new IllegalStateException("curl " + url + ": " + out);
        String[] f = out.split(" ");
        if (Long.parseLong(f[0]) != mib * 1024L * 1024) throw new IllegalStateException("short body: " + out);
        return mib / Double.parseDouble(f[1]);
    }

    private static final boolean KUBECTL = java.nio.file.Files.isExecutable(java.nio.file.Path.of("/usr/bin/kubectl"));

    /**
     * LIST as a CI job makes it: the real kubectl lists {@code podCount} pods page by page and decodes them, from an
     * API server that serves them from memory and gzips large answers as kube-apiserver does, over HTTPS; through KAS
     * (HTTPS, as kubectl sends tokens only over TLS) and an agent that reaches the same API server over HTTPS.
     */
    static void kubectlList(int podCount) throws Exception {
        Path dir = Files.createTempDirectory("tunnel-bench-kubectl");
        var cert = dev.kastor.testing.SelfSignedCert.create(dir, "bench");
        try (var api = new PodListApi(podCount, ((io.netty.handler.ssl.JdkSslContext) io.netty.handler.ssl.SslContextBuilder
                        .forServer(cert.certPem().toFile(), cert.keyPem().toFile()).sslProvider(io.netty.handler.ssl.SslProvider.JDK).build()).context());
             Bridge bridge = new Bridge(dir, cert)) {
            var reg = bridge.register("bench/project", "kubectl");
            long id = reg.agent().id();
            bridge.job("kubectl-job", 1, 1, "bench/app", id);
            try (Agent agent = bridge.startAgent(reg.token(), api.url(), Bridge.trusting(cert), () -> "sa-token", PoolSettings.defaults())) {
                bridge.awaitConnected(id);
                Path directConfig = Kubeconfigs.write(Files.createDirectories(dir.resolve("direct")).resolve("config"), api.url().toString(), cert, "bench", id, "unused");
                Path tunnelConfig = Kubeconfigs.write(Files.createDirectories(dir.resolve("tunnel")).resolve("config"), bridge.proxyUrl(), cert, "bench", id, "kubectl-job");
                double mib = api.bytes() / 1024.0 / 1024;
                // One LIST read whole (the server's gzip and the transfer), then pages decoded as kubectl get does.
                for (boolean raw : new boolean[] {true, false}) {
                    String[] args = raw ? new String[] {"get", "--raw", "/api/v1/pods"} : new String[] {"get", "pods", "-A", "-o", "name"};
                    // --raw takes the path from the server's root, so through KAS it names the proxy's prefix itself.
                    String[] tunnelArgs = raw ? new String[] {"get", "--raw", URI.create(bridge.proxyUrl()).getPath() + "/api/v1/pods"} : args;
                    for (int i = 0; i < 2; i++) { // warm-up: discovery cached, both paths compiled
                        kubectlSeconds(directConfig, api, args);
                        kubectlSeconds(tunnelConfig, api, tunnelArgs);
                    }
                    double bestDirect = Double.MAX_VALUE;
                    double bestTunnel = Double.MAX_VALUE;
                    for (int i = 0; i < (raw ? 5 : 3); i++) { // decoding 10,000 pods takes kubectl seconds: fewer runs
                        bestDirect = Math.min(bestDirect, kubectlSeconds(directConfig, api, args));
                        bestTunnel = Math.min(bestTunnel, kubectlSeconds(tunnelConfig, api, tunnelArgs));
                    }
                    System.out.printf("LIST kubectl %s, %d pods (%.0f MiB of JSON%s, gzipped to %.1f MiB as kube-apiserver does)  direct %.2f s | through %.2f s | ratio %.2f%n",
                            String.join(" ", args), podCount, mib, raw ? " in one answer" : ", " + (podCount + 499) / 500 + " pages",
                            api.gzippedBytes() / 1024.0 / 1024, bestDirect, bestTunnel, bestDirect / bestTunnel);
                }
            }
        }
    }

    /** Seconds a kubectl command takes (a whole process, as a CI job runs it), checking it printed every pod. */
    static double kubectlSeconds(Path kubeconfig, PodListApi api, String... args) throws Exception {
        Path out = kubeconfig.resolveSibling("out.txt");
        Path err = kubeconfig.resolveSibling("err.txt");
        var cmd = new ArrayList<>(List.of("kubectl", "--kubeconfig", kubeconfig.toString(), "--cache-dir", kubeconfig.resolveSibling("cache").toString()));
        cmd.addAll(List.of(args));
        long start = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (p.waitFor() != 0) throw new IllegalStateException("kubectl failed: " + Files.readString(err));
        double took = (System.nanoTime() - start) / 1e9;
        if (args[1].equals("--raw")) {
            long size = Files.size(out);
            if (size < api.bytes() || size > api.bytes() + 1024) throw new IllegalStateException("kubectl read " + size + " bytes of a LIST of " + api.bytes());
        } else {
            long lines;
            try (var l = Files.lines(out)) {
                lines = l.count();
            }
            if (lines != api.count()) throw new IllegalStateException("kubectl printed " + lines + " pods of " + api.count());
        }
        return took;
    }

    private static final boolean CURL = java.nio.file.Files.isExecutable(java.nio.file.Path.of("/usr/bin/curl"));

    static double jdkThroughput(HttpClient client, String url, String auth, int mib) throws Exception {
        var b = HttpRequest.newBuilder(URI.create(url));
        if (auth != null) b.header("Authorization", auth);
        long start = System.nanoTime();
        var r = client.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        long total = 0;
        try (InputStream in = r.body()) {
            byte[] buf = new byte[256 * 1024];
            int n;
            while ((n = in.read(buf)) >= 0) total += n;
        }
        if (total != mib * 1024L * 1024) throw new IllegalStateException("short body: " + total);
        return mib / ((System.nanoTime() - start) / 1e9);
    }

    static double ms(long nanos) {
        return nanos / 1e6;
    }

    static long usedHeap() {
        Runtime rt = Runtime.getRuntime();
        return rt.totalMemory() - rt.freeMemory();
    }
}
