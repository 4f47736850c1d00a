package dev.kastor.bridge.flux;

import dev.kastor.testing.kube.NotificationControllerStandIn;
import dev.kastor.testing.kube.RegistryTags;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The benchmark of issue 15 (bench/flux-receivers-bench runs it by hand; not a test): how long after a push the
 * agent's call of the Flux Receiver that follows it reaches Flux's webhook receiver. Everything on loopback in one
 * JVM ({@link FluxChain}), first with one KAS, then with two replicas on Redis (the push lands on A, the agent is on B).
 * Per push, in turn, so that all see the same machine load:
 * <ul>
 *   <li>baseline: a direct POST to the GitRepository's hook URL, as the agent makes it (what a hook call costs with
 *       nothing in between): until it comes in, the git path's baseline, and its round trip;</li>
 *   <li>registry: the artifact's blobs first (not timed), then from just before the manifest PUT (the request that
 *       makes the registry notify KAS) until the hook call of the OCIRepository's Receiver comes in; the PUT's own
 *       round trip is that path's baseline;</li>
 *   <li>git: from sending GitLab's Push Hook to KAS until the hook call of the GitRepository's Receiver comes in.</li>
 * </ul>
 * "Comes in" is when the notification-controller stand-in gets the request, before it looks the Receiver up (the
 * look-up, two reads from the API stand-in, is in the direct POST's round trip only). Each push must cause exactly
 * one call, to the Receiver it is for, or the benchmark stops.
 */
public final class FluxReceiversBench {
    private static final String NS = "bench";
    private static final String OCI_RECEIVER = "kastor-oci-app";
    private static final String GIT_RECEIVER = "kastor-git-repo";
    private static final String PROJECT = "group/app";
    /** KAS's default ref poll period, and config files polled as often: polls are background work a real KAS does too. */
    private static final String POLL = "1m";
    /** The JDK HttpClient as the agent's hook caller builds it, for the direct baseline. */
    private static final HttpClient HOOK_CLIENT = HttpClient.newBuilder().build();
    /** Held: the API stand-in logs every request it answers at INFO, which would bury the table. */
    private static final Logger MOCK_SERVER_LOG = Logger.getLogger("io.fabric8.mockwebserver");

    /** p50, p99 (nearest rank) and max of one series, in milliseconds. */
    record Figures(double p50, double p99, double max) {
        static Figures of(long[] nanos) {
            long[] sorted = nanos.clone();
            Arrays.sort(sorted);
            return new Figures(rank(sorted, 50) / 1e6, rank(sorted, 99) / 1e6, sorted[sorted.length - 1] / 1e6);
        }

        private static long rank(long[] sorted, int percent) {
            return sorted[(int) Math.ceil(sorted.length * percent / 100.0) - 1];
        }
    }

    /** One line of the table: a path timed, with the baseline it is held against (null for a baseline's own line). */
    record Row(String path, String kas, Figures figures, Figures baseline) {}

    /** The series of one set-up, a value per counted push. */
    record Series(long[] directIn, long[] directRoundTrip, long[] put, long[] registry, long[] git) {
        Series(int pushes) {
            this(new long[pushes], new long[pushes], new long[pushes], new long[pushes], new long[pushes]);
        }

        List<Row> rows(String kas) {
            Figures directPost = Figures.of(directIn);
            Figures manifestPut = Figures.of(put);
            return List.of(new Row("registry: manifest PUT -> hook call", kas, Figures.of(registry), manifestPut),
                    new Row("git: Push Hook to KAS -> hook call", kas, Figures.of(git), directPost),
                    new Row("baseline: manifest PUT, round trip", kas, manifestPut, null),
                    new Row("baseline: direct hook POST -> comes in", kas, directPost, null),
                    new Row("baseline: direct hook POST, round trip", kas, Figures.of(directRoundTrip), null));
        }
    }

    public static void main(String[] args) throws Exception {
        int pushes = Integer.getInteger("pushes", 100);
        int warmup = Integer.getInteger("warmup", 20);
        MOCK_SERVER_LOG.setLevel(Level.WARNING);
        Path dir = Files.createTempDirectory("flux-receivers-bench");
        List<Row> rows = new ArrayList<>();
        try (var chain = FluxChain.oneKas(dir.resolve("one"), POLL)) {
            rows.addAll(measure(chain, warmup, pushes).rows("1"));
        }
        try (var chain = FluxChain.twoReplicas(dir.resolve("two"), POLL)) {
            rows.addAll(measure(chain, warmup, pushes).rows("2, A->B"));
        }
        print(rows, pushes, warmup);
        System.exit(0);
    }

    static Series measure(FluxChain chain, int warmup, int pushes) throws Exception {
        chain.oci(NS, "app", FluxChain.REGISTRY_HOST + "/" + PROJECT, null);
        chain.gitRepository(NS, "repo", PROJECT);
        chain.await("the two receivers, known to the notification-controller", () -> chain.flux.hookUrl(NS, OCI_RECEIVER).isPresent()
                && chain.flux.hookUrl(NS, GIT_RECEIVER).isPresent());
        var pusher = new Pusher(chain);
        var series = new Series(pushes);
        for (int i = -warmup; i < pushes; i++) {
            long[] direct = pusher.directPost();
            long[] registry = pusher.registryPush("app v" + i);
            long git = pusher.gitPush();
            if (i < 0) continue;
            series.directIn[i] = direct[0];
            series.directRoundTrip[i] = direct[1];
            series.registry[i] = registry[0];
            series.put[i] = registry[1];
            series.git[i] = git;
        }
        pusher.expectNoMoreCalls();
        return series;
    }

    /** Pushes of each kind, each timed up to the hook call it causes: it counts the calls, so each push's call is known by its number. */
    private static final class Pusher {
        private final FluxChain chain;
        private final URI hook;
        private final String repository;
        private int calls;

        Pusher(FluxChain chain) {
            this.chain = chain;
            this.hook = chain.flux.hookUrl(NS, GIT_RECEIVER).orElseThrow();
            this.repository = "oci://" + chain.registry.host() + "/" + PROJECT;
            this.calls = chain.flux.calls().size();
        }

        /** The hook call the agent makes, made straight to the GitRepository's hook URL: until it comes in, and its round trip. */
        long[] directPost() throws Exception {
            var request = HttpRequest.newBuilder(hook).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).build();
            long start = System.nanoTime();
            int status = HOOK_CLIENT.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
            long roundTrip = System.nanoTime() - start;
            if (status != 200) throw new IllegalStateException("a direct POST to the hook URL got " + status);
            return new long[] {awaitCall(GIT_RECEIVER) - start, roundTrip};
        }

        /** An artifact of {@code content}, blobs first: from its manifest PUT until the hook call, and the PUT's round trip. */
        long[] registryPush(String content) throws Exception {
            byte[] manifest = RegistryTags.pushBlobs(repository, content.getBytes(StandardCharsets.UTF_8));
            long start = System.nanoTime();
            RegistryTags.pushManifest(repository, "latest", manifest);
            long put = System.nanoTime() - start;
            return new long[] {awaitCall(OCI_RECEIVER) - start, put};
        }

        /** GitLab's Push Hook of the project: from sending it to KAS until the hook call. */
        long gitPush() throws Exception {
            long start = System.nanoTime();
            var answer = chain.pushHook(FluxChain.HOOK_SECRET, PROJECT);
            if (answer.statusCode() != 202) throw new IllegalStateException("the Push Hook got " + answer.statusCode() + ": " + answer.body());
            return awaitCall(GIT_RECEIVER) - start;
        }

        /** A push that caused a second call (a retry, say) would show within a second: local calls take milliseconds. */
        void expectNoMoreCalls() throws InterruptedException {
            Thread.sleep(1000);
            int now = chain.flux.calls().size();
            if (now != calls) throw new IllegalStateException(calls + " hook calls expected, " + now + " came: " + chain.flux.calls());
        }

        /** When the next call came in, which must be {@code receiver}'s. */
        private long awaitCall(String receiver) throws Exception {
            var arrival = chain.flux.awaitCalls(++calls, FluxChain.WAIT).get(calls - 1);
            if (!arrival.call().equals(new NotificationControllerStandIn.Call(NS, receiver))) {
                throw new IllegalStateException("call " + calls + " should have reached " + NS + "/" + receiver + ", it reached " + arrival.call());
            }
            return arrival.receivedNanos();
        }
    }

    static void print(List<Row> rows, int pushes, int warmup) {
        System.out.printf("Flux receivers: %d pushes per path after %d not counted; times in ms%n", pushes, warmup);
        String format = "%-40s %-8s %8s %8s %8s %12s %10s %10s%n";
        System.out.printf(format, "path", "KAS", "p50", "p99", "max", "baseline p50", "p50/base", "p99 <= 1 s");
        for (Row r : rows) {
            Figures f = r.figures();
            boolean own = r.baseline() == null;
            System.out.printf(format, r.path(), r.kas(), ms(f.p50()), ms(f.p99()), ms(f.max()), own ? "" : ms(r.baseline().p50()),
                    own ? "" : String.format("%.1f", f.p50() / r.baseline().p50()), own ? "" : f.p99() <= 1000 ? "yes" : "NO");
        }
    }

    static String ms(double millis) {
        return String.format("%.2f", millis);
    }
}
