package dev.kastor.steps.flux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kastor.oci.TimedOutException;
import dev.kastor.testing.kube.KubeStandIn;
import dev.kastor.steps.cli.Console;
import dev.kastor.steps.cli.Context;
import dev.kastor.steps.k8s.AgentFlags;
import dev.kastor.steps.k8s.KubeConnection;
import dev.kastor.steps.k8s.KubeException;
import dev.kastor.steps.k8s.ObjectRef;
import dev.kastor.steps.k8s.SyncListener;
import dev.kastor.steps.k8s.Verdict.Phase;
import dev.kastor.steps.k8s.Verdict;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link FluxWait}'s own decisions, without the CLI (the whole {@code kastor flux wait} is FluxWaitTest): the
 * Kubernetes stand-in holds an OCIRepository and what it feeds, the test writes the status the Flux controllers would,
 * and a listener records every verdict the wait reaches, so the test goes on when the wait has seen a state rather
 * than after a sleep. Digests are only compared here, so no artifact is pushed.
 */
class FluxWaitEngineTest {
    private static final String DIGEST = "sha256:" + "b".repeat(64);
    private static final String OLDER = "sha256:" + "a".repeat(64);
    private static final AtomicInteger SEQ = new AtomicInteger();

    @RegisterExtension
    static final KubeStandIn kube = KubeStandIn.start();

    @TempDir
    Path tmp;

    private final Verdicts verdicts = new Verdicts();
    private final ExecutorService waiting = Executors.newSingleThreadExecutor();
    private String ns;
    private KubeConnection conn;
    private ObjectRef source;
    private ObjectRef kustomization;

    /** An OCIRepository and a Kustomization it feeds, in a namespace of the test's own, and a connection as a CI job has. */
    @BeforeEach
    void createSourceAndKustomization() {
        ns = "engine-" + SEQ.incrementAndGet();
        source = new ObjectRef(FluxKind.OCIRepository.type(), ns, "podinfo");
        kustomization = new ObjectRef(FluxKind.Kustomization.type(), ns, "podinfo");
        kube.create(KubeStandIn.OCI_REPOSITORY, ns, "podinfo",
                Map.of("interval", "5m", "url", "oci://registry.example.com/app/manifests", "ref", Map.of("tag", "main")));
        kube.create(KubeStandIn.KUSTOMIZATION, ns, "podinfo", Map.of("interval", "10m", "path", "./", "prune", true,
                "sourceRef", Map.of("kind", "OCIRepository", "name", "podinfo")));
        Path kubeconfig = kube.writeKubeconfig(tmp.resolve("kubeconfig"), Map.of("bars/infra:prod", 42L));
        var nowhere = new PrintStream(OutputStream.nullOutputStream());
        var ctx = new Context(Map.of("KUBECONFIG", kubeconfig.toString()), nowhere, nowhere, InputStream.nullInputStream(), tmp, tmp);
        conn = new AgentFlags().connect(ctx, new Console(ctx, true));
    }

    @AfterEach
    void close() {
        waiting.shutdownNow(); // interrupts a wait that a failed test left running
        conn.close();
    }

    private FluxWait.Plan plan(Duration timeout, ObjectRef... dependents) {
        return new FluxWait.Plan(source, List.of(dependents), DIGEST, timeout, false);
    }

    /** Runs the wait on a thread of its own, so the test can play the controllers meanwhile. */
    private Future<Map<ObjectRef, Verdict>> startWait(FluxWait wait, ObjectRef... dependents) {
        return waiting.submit(() -> wait.run(plan(Duration.ofMinutes(2), dependents)));
    }

    private static List<Map<String, Object>> ready(String status, String reason, String message) {
        return List.of(Map.of("type", "Ready", "status", status, "reason", reason, "message", message));
    }

    private void sourceServes(String digest) {
        kube.writeStatus(KubeStandIn.OCI_REPOSITORY, ns, "podinfo", Map.of("artifact", Map.of("revision", "main@" + digest, "digest", "sha256:00"),
                "conditions", ready("True", "Succeeded", "stored artifact for digest 'main@" + digest + "'")));
    }

    private void kustomizationApplied(String digest) {
        kube.writeStatus(KubeStandIn.KUSTOMIZATION, ns, "podinfo", Map.of("lastAppliedRevision", "main@" + digest,
                "lastAttemptedRevision", "main@" + digest, "conditions", ready("True", "ReconciliationSucceeded", "Applied revision: main@" + digest)));
    }

    @Test
    void waitEndsWhenSourceAndKustomizationReportThePushedDigestAndNotOnAnOlderRevision() throws Exception {
        sourceServes(OLDER);
        kustomizationApplied(OLDER);
        var wait = new FluxWait(conn, verdicts);
        Future<Map<ObjectRef, Verdict>> result = startWait(wait, kustomization);

        verdicts.await(source, Phase.PENDING, "revision main@" + OLDER);
        verdicts.await(kustomization, Phase.PENDING, "lastAppliedRevision main@" + OLDER);
        sourceServes(DIGEST);
        verdicts.await(source, Phase.SUCCESS, "artifact main@" + DIGEST + " stored");
        verdicts.await(kustomization, Phase.RUNNING, "lastAppliedRevision main@" + OLDER);
        kustomizationApplied(DIGEST);

        assertThat(result.get(60, TimeUnit.SECONDS)).containsOnlyKeys(source, kustomization)
                .allSatisfy((ref, v) -> assertThat(v.phase()).as(ref.toString()).isEqualTo(Phase.SUCCESS));
        assertThat(wait.sourceRevision()).isEqualTo("main@" + DIGEST);
    }

    @Test
    void readyFalseAboutThePushedRevisionEndsTheWaitWithTheControllersReason() throws Exception {
        sourceServes(DIGEST);
        kustomizationApplied(OLDER);
        Future<Map<ObjectRef, Verdict>> result = startWait(new FluxWait(conn, verdicts), kustomization);
        verdicts.await(kustomization, Phase.RUNNING, "lastAppliedRevision main@" + OLDER);

        kube.writeStatus(KubeStandIn.KUSTOMIZATION, ns, "podinfo", Map.of("lastAppliedRevision", "main@" + OLDER, "lastAttemptedRevision", "main@" + DIGEST,
                "conditions", ready("False", "ReconciliationFailed", "Deployment/default/podinfo dry-run failed: replicas must be >= 0")));

        // Well within the wait's own two minutes: the failure ends it, not the timeout.
        assertThatThrownBy(() -> result.get(60, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class).cause()
                .isInstanceOf(KubeException.class).hasMessage("Kustomization " + ns + "/podinfo failed: Ready=False ReconciliationFailed:"
                        + " Deployment/default/podinfo dry-run failed: replicas must be >= 0");
        assertThat(verdicts.last(kustomization).phase()).isEqualTo(Phase.FAILED);
        assertThat(verdicts.last(source).phase()).isEqualTo(Phase.SUCCESS);
    }

    @Test
    void aReadyFalseLeftFromAnOlderRevisionDoesNotEndTheWait() throws Exception {
        sourceServes(DIGEST);
        kube.writeStatus(KubeStandIn.KUSTOMIZATION, ns, "podinfo", Map.of("lastAttemptedRevision", "main@" + OLDER,
                "conditions", ready("False", "ReconciliationFailed", "old breakage")));
        Future<Map<ObjectRef, Verdict>> result = startWait(new FluxWait(conn, verdicts), kustomization);

        verdicts.await(kustomization, Phase.RUNNING, "old breakage");
        kustomizationApplied(DIGEST);

        assertThat(result.get(60, TimeUnit.SECONDS).get(kustomization).phase()).isEqualTo(Phase.SUCCESS);
    }

    @Test
    void timeoutRaisesTimedOutExceptionSayingWhatWasLastSeenOfEachObjectNotDone() {
        sourceServes(DIGEST);
        kustomizationApplied(OLDER);
        var wait = new FluxWait(conn, verdicts);

        assertThatThrownBy(() -> wait.run(plan(Duration.ofSeconds(1), kustomization))).isInstanceOf(TimedOutException.class)
                .hasMessageStartingWith("timed out after 1s waiting for " + DIGEST + "; not done: Kustomization " + ns + "/podinfo:"
                        + " lastAppliedRevision main@" + OLDER)
                .message().doesNotContain("OCIRepository"); // the source was done: not named among what was not
        assertThat(verdicts.last(kustomization).phase()).isEqualTo(Phase.FAILED);
        assertThat(verdicts.last(kustomization).reason()).startsWith("timed out: lastAppliedRevision main@" + OLDER);
        assertThat(verdicts.last(source).phase()).isEqualTo(Phase.SUCCESS);
    }

    @Test
    void aHelmReleaseIsDoneWhenItsLastAttemptedRevisionDigestIsThePushedDigest() throws Exception {
        var release = new ObjectRef(FluxKind.HelmRelease.type(), ns, "podinfo");
        kube.create(KubeStandIn.HELM_RELEASE, ns, "podinfo", Map.of("interval", "10m", "chartRef", Map.of("kind", "OCIRepository", "name", "podinfo")));
        sourceServes(DIGEST);
        // A HelmRelease has no lastAppliedRevision: judged as a Kustomization, it would never be done.
        kube.writeStatus(KubeStandIn.HELM_RELEASE, ns, "podinfo", Map.of("lastAttemptedRevision", "0.1.0", "lastAttemptedRevisionDigest", DIGEST,
                "conditions", ready("True", "InstallSucceeded", "Helm install succeeded for release podinfo")));

        Map<ObjectRef, Verdict> result = new FluxWait(conn, verdicts).run(plan(Duration.ofSeconds(10), release));

        assertThat(result.get(release)).isEqualTo(new Verdict(Phase.SUCCESS,
                "lastAttemptedRevisionDigest " + DIGEST + " (chart 0.1.0): Helm install succeeded for release podinfo"));
    }

    /** Every verdict the wait reached, per object and in order; told from the wait's thread, read by the test's. */
    private static final class Verdicts implements SyncListener {
        private final Map<ObjectRef, List<Verdict>> seen = new HashMap<>();

        @Override
        public synchronized void changed(ObjectRef ref, Verdict verdict) {
            seen.computeIfAbsent(ref, r -> new ArrayList<>()).add(verdict);
            notifyAll();
        }

        synchronized Verdict last(ObjectRef ref) {
            List<Verdict> list = seen.getOrDefault(ref, List.of());
            return list.isEmpty() ? null : list.get(list.size() - 1);
        }

        /**
         * Returns once the wait has reached a verdict on {@code ref} in {@code phase} whose reason contains
         * {@code reasonPart}; fails at once when the object is done otherwise (a done verdict is final), else after 30 s.
         */
        synchronized void await(ObjectRef ref, Phase phase, String reasonPart) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (true) {
                for (Verdict v : seen.getOrDefault(ref, List.of())) {
                    if (v.phase() == phase && v.reason().contains(reasonPart)) return;
                }
                Verdict last = last(ref);
                long left = deadline - System.nanoTime();
                if (left <= 0 || (last != null && last.phase().done())) {
                    throw new AssertionError("no " + phase + " verdict on " + ref + " about '" + reasonPart + "'; it went " + seen.get(ref));
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        }
    }
}
