package dev.kastor.steps.flux;

import dev.kastor.oci.Causes;
import dev.kastor.oci.TimedOutException;
import dev.kastor.steps.k8s.Conditions;
import dev.kastor.steps.k8s.Durations;
import dev.kastor.steps.k8s.KubeConnection;
import dev.kastor.steps.k8s.KubeException;
import dev.kastor.steps.k8s.ObjectRef;
import dev.kastor.steps.k8s.SyncListener;
import dev.kastor.steps.k8s.Verdict.Phase;
import dev.kastor.steps.k8s.Verdict;
import dev.kastor.steps.k8s.WatchedObjects;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Waits until a source serves the pushed digest (or the job's commit) and every object fed by it has applied it, reacting to watch
 * events (no polling). Fails at once when the controller reports a failure about it; on timeout says what was last
 * seen of each object that is not done.
 */
public final class FluxWait {
    /**
     * What to wait for. {@code want} is what the source's revision must end with: the pushed manifest digest
     * {@code sha256:<hex>} for an OCIRepository, the job's commit {@code sha1:<hex>} for a GitRepository (Flux writes
     * {@code <ref>@sha1:<sha>}). {@code dependents} are Kustomizations and HelmReleases fed by {@code source}.
     */
    public record Plan(ObjectRef source, List<ObjectRef> dependents, String want, Duration timeout, boolean reconcile) {}

    private final KubeConnection conn;
    private final SyncListener listener;
    private volatile String sourceRevision;

    public FluxWait(KubeConnection conn, SyncListener listener) {
        this.conn = conn;
        this.listener = listener;
    }

    /** Returns each object's final verdict, all {@link Phase#SUCCESS}; throws on failure or timeout. */
    public Map<ObjectRef, Verdict> run(Plan plan) throws InterruptedException {
        long deadline = System.nanoTime() + plan.timeout().toNanos();
        var all = new ArrayList<ObjectRef>();
        all.add(plan.source());
        all.addAll(plan.dependents());
        var latest = new HashMap<ObjectRef, GenericKubernetesResource>();
        var verdicts = new LinkedHashMap<ObjectRef, Verdict>();
        try (var watched = new WatchedObjects(conn)) {
            for (ObjectRef ref : all) {
                GenericKubernetesResource now = watched.follow(ref);
                if (now == null) throw new KubeException(ref + " not found via " + conn.context().name() + ": check its name and namespace");
                latest.put(ref, now);
            }
            for (ObjectRef ref : all) update(verdicts, ref, new Verdict(Phase.PENDING, "waiting for " + plan.want()));
            String requestedAt = null;
            if (plan.reconcile()) {
                requestedAt = Reconcile.now();
                for (ObjectRef ref : all) Reconcile.request(conn, ref, requestedAt);
            }
            watched.followEvents(all.stream().map(ObjectRef::namespace).collect(Collectors.toSet()));
            while (true) {
                evaluate(plan, requestedAt, latest, verdicts);
                ObjectRef failed = first(verdicts, Phase.FAILED);
                if (failed != null) {
                    String why = failed + " failed: " + verdicts.get(failed).reason();
                    for (ObjectRef ref : all) {
                        if (!verdicts.get(ref).phase().done()) update(verdicts, ref, new Verdict(Phase.FAILED, "not done: " + why));
                    }
                    throw new KubeException(why);
                }
                if (verdicts.values().stream().allMatch(v -> v.phase() == Phase.SUCCESS)) {
                    sourceRevision = Conditions.string(latest.get(plan.source()), "status", "artifact", "revision");
                    return verdicts;
                }
                long left = deadline - System.nanoTime();
                WatchedObjects.Update u = left <= 0 ? null : watched.next(Duration.ofNanos(left));
                if (u == null) throw timedOut(plan, all, verdicts);
                switch (u) {
                    case WatchedObjects.Changed c -> latest.put(c.ref(), c.object());
                    case WatchedObjects.Noticed n -> listener.event(n.ref(), n.event());
                    case WatchedObjects.Broken b -> {
                        if (b.cause() == null) continue; // events unreadable: the wait goes on without them
                        throw new KubeException(b.what() + " broke: " + Causes.describe(b.cause()), b.cause());
                    }
                }
            }
        }
    }

    /** The source's {@code status.artifact.revision} when the wait succeeded. */
    public String sourceRevision() {
        return sourceRevision;
    }

    private void evaluate(Plan plan, String requestedAt, Map<ObjectRef, GenericKubernetesResource> latest, Map<ObjectRef, Verdict> verdicts) {
        Verdict source = SyncRules.source(latest.get(plan.source()), plan.want(), requestedAt);
        // Once stored, a source stays done for this wait even if a later revision replaces it.
        if (verdicts.get(plan.source()).phase() != Phase.SUCCESS) update(verdicts, plan.source(), source);
        boolean sourceHasIt = verdicts.get(plan.source()).phase() == Phase.SUCCESS;
        for (ObjectRef ref : plan.dependents()) {
            if (verdicts.get(ref).phase().done()) continue;
            GenericKubernetesResource o = latest.get(ref);
            Verdict v = ref.kind().equals(FluxKind.HelmRelease.name())
                    ? SyncRules.helmRelease(o, plan.want(), sourceHasIt)
                    : SyncRules.kustomization(o, plan.want(), sourceHasIt);
            update(verdicts, ref, v);
        }
    }

    private void update(Map<ObjectRef, Verdict> verdicts, ObjectRef ref, Verdict v) {
        if (v.equals(verdicts.get(ref))) return;
        verdicts.put(ref, v);
        listener.changed(ref, v);
    }

    private TimedOutException timedOut(Plan plan, List<ObjectRef> all, Map<ObjectRef, Verdict> verdicts) {
        var lines = new ArrayList<String>();
        for (ObjectRef ref : all) {
            Verdict v = verdicts.get(ref);
            if (v.phase() != Phase.SUCCESS) {
                lines.add(ref + ": " + v.reason());
                update(verdicts, ref, new Verdict(Phase.FAILED, "timed out: " + v.reason()));
            }
        }
        return new TimedOutException("timed out after " + Durations.format(plan.timeout()) + " waiting for " + plan.want() + "; not done: "
                + String.join("; ", lines) + " (raise --timeout, or --reconcile to skip the controllers' interval)");
    }

    private static ObjectRef first(Map<ObjectRef, Verdict> verdicts, Phase phase) {
        for (var e : verdicts.entrySet()) if (e.getValue().phase() == phase) return e.getKey();
        return null;
    }
}
