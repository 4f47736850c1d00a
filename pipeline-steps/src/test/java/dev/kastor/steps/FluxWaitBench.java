package dev.kastor.steps;

import dev.kastor.steps.cli.Context;
import dev.kastor.testing.kube.KubeStandIn;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Benchmark, run by hand through {@code bench/flux-wait-bench} (its name keeps it out of the normal test run):
 * reaction time from the moment the "controller" writes the Kustomization status that completes the sync to the
 * moment {@code kastor flux wait} returns, over N trials against the Kubernetes stand-in.
 */
class FluxWaitBench {
    @Test
    void reactionTime() throws Exception {
        int trials = Integer.parseInt(System.getenv().getOrDefault("BENCH_TRIALS", "100"));
        Path tmp = Files.createTempDirectory("flux-wait-bench");
        try (KubeStandIn kube = KubeStandIn.start()) {
            Path kubeconfig = kube.writeKubeconfig(tmp.resolve("kubeconfig"), Map.of("bench/infra:prod", 1L));
            String ns = "bench";
            kube.create(KubeStandIn.OCI_REPOSITORY, ns, "app", Map.of("url", "oci://registry.example.com/app", "ref", Map.of("tag", "main")));
            kube.create(KubeStandIn.KUSTOMIZATION, ns, "app", Map.of("sourceRef", Map.of("kind", "OCIRepository", "name", "app")));
            var millis = new ArrayList<Double>();
            for (int i = 0; i < trials + 5; i++) {
                String digest = "sha256:" + String.format(Locale.ROOT, "%064x", i + 1);
                String revision = "main@" + digest;
                writeStatus(kube, KubeStandIn.OCI_REPOSITORY, ns, new long[1], Map.of("artifact", Map.of("revision", revision),
                        "conditions", List.of(Map.of("type", "Ready", "status", "True", "reason", "Succeeded"))));
                var watching = new CountDownLatch(1);
                // The wait prints the Kustomization's first verdict once its watches are up: that is when the clock may start.
                PrintStream err = new PrintStream(new OutputStream() {
                    private final StringBuilder line = new StringBuilder();

                    @Override
                    public void write(int b) {
                        if (b == '\n') {
                            if (line.toString().contains("Kustomization " + ns + "/app")) watching.countDown();
                            line.setLength(0);
                        } else {
                            line.append((char) b);
                        }
                    }
                }, true, StandardCharsets.UTF_8);
                var env = new HashMap<String, String>(Map.of("KUBECONFIG", kubeconfig.toString()));
                var ctx = new Context(env, new PrintStream(OutputStream.nullOutputStream()), err, new ByteArrayInputStream(new byte[0]), tmp, tmp);
                var run = new CompletableFuture<Long>();
                Thread t = new Thread(() -> {
                    int exit = dev.kastor.steps.Kastor.run(ctx, "flux", "wait", "--digest", digest, "--source", ns + "/app", "--kustomization", ns + "/app",
                            "--timeout", "60s");
                    long end = System.nanoTime();
                    if (exit != 0) run.completeExceptionally(new AssertionError("flux wait exited " + exit));
                    else run.complete(end);
                });
                t.start();
                if (!watching.await(60, TimeUnit.SECONDS)) throw new AssertionError("flux wait never started watching");
                Thread.sleep(20); // let the events watch settle too, as it would in a real job
                long[] start = new long[1];
                writeStatus(kube, KubeStandIn.KUSTOMIZATION, ns, start, Map.of("lastAppliedRevision", revision, "lastAttemptedRevision", revision,
                        "conditions", List.of(Map.of("type", "Ready", "status", "True", "reason", "ReconciliationSucceeded"))));
                long end = run.get(60, TimeUnit.SECONDS);
                long began = start[0];
                t.join();
                if (i >= 5) millis.add((end - began) / 1e6); // the first few warm the JIT up
            }
            millis.sort(null);
            String result = String.format(Locale.ROOT, "flux wait reaction time over %d trials: p50 %.1f ms, p99 %.1f ms, min %.1f ms, max %.1f ms",
                    millis.size(), pct(millis, 50), pct(millis, 99), millis.get(0), millis.get(millis.size() - 1));
            System.out.println(result);
            Path out = Path.of(System.getenv().getOrDefault("BENCH_OUT", tmp.resolve("result.txt").toString()));
            Files.writeString(out, result + "\n");
        }
    }

    private static double pct(List<Double> sorted, int p) {
        int idx = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, idx)));
    }

    /** Reads the object, then stamps {@code start[0]} just before sending the status write (the measured moment). */
    private static void writeStatus(KubeStandIn kube, ResourceDefinitionContext rdc, String ns, long[] start, Map<String, Object> status) {
        var o = kube.client().genericKubernetesResources(rdc).inNamespace(ns).withName("app").get();
        var s = new LinkedHashMap<String, Object>(status);
        s.put("observedGeneration", o.getMetadata().getGeneration());
        o.setAdditionalProperty("status", s);
        start[0] = System.nanoTime();
        kube.client().genericKubernetesResources(rdc).inNamespace(ns).resource(o).updateStatus();
    }
}
