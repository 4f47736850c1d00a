package dev.kastor.steps.kube;

import dev.kastor.oci.Causes;
import dev.kastor.oci.TimedOutException;
import dev.kastor.steps.k8s.Durations;
import dev.kastor.steps.k8s.KubeConnection;
import dev.kastor.steps.k8s.KubeException;
import dev.kastor.steps.k8s.ObjectRef;
import dev.kastor.steps.k8s.WatchedObjects;
import dev.kastor.steps.log.StepLog;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Waits, by watching, until applied objects have rolled out; logs a progress table whenever something changes. */
final class RolloutWait {
    private final KubeConnection conn;
    private final StepLog log;

    RolloutWait(KubeConnection conn, StepLog log) {
        this.conn = conn;
        this.log = log;
    }

    void run(List<Applier.Planned> planned, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        var states = new LinkedHashMap<ObjectRef, Rollout>();
        try (var watched = new WatchedObjects(conn)) {
            for (Applier.Planned p : planned) {
                var meta = p.manifest().object().getMetadata();
                var ref = new ObjectRef(p.type(), meta.getNamespace(), meta.getName());
                // Built-in workloads are always followed; anything else only when it reports conditions.
                boolean follow = Rollout.worthWaitingFor(p.manifest().object()) || Rollout.worthWaitingFor(watched.resource(ref).get());
                if (follow) states.put(ref, Rollout.of(watched.follow(ref)));
            }
            if (states.isEmpty()) {
                log.info("nothing to wait for: no Deployment, StatefulSet, DaemonSet, Job or object with conditions");
                return;
            }
            table(states);
            while (true) {
                for (var e : states.entrySet()) {
                    if (e.getValue().state() == Rollout.State.FAILED) throw new KubeException(e.getKey() + " failed to roll out: " + e.getValue().message());
                }
                if (states.values().stream().allMatch(r -> r.state() == Rollout.State.DONE)) return;
                long left = deadline - System.nanoTime();
                WatchedObjects.Update u = left <= 0 ? null : watched.next(Duration.ofNanos(left));
                if (u == null) {
                    var lines = new StringBuilder();
                    states.forEach((ref, r) -> {
                        if (r.state() != Rollout.State.DONE) lines.append("; ").append(ref).append(": ").append(r.message());
                    });
                    throw new TimedOutException("timed out after " + Durations.format(timeout) + " waiting for the rollout" + lines);
                }
                if (u instanceof WatchedObjects.Changed c && states.containsKey(c.ref())) {
                    Rollout r = Rollout.of(c.object());
                    if (!r.equals(states.put(c.ref(), r))) table(states);
                } else if (u instanceof WatchedObjects.Broken b && b.cause() != null) {
                    throw new KubeException(b.what() + " broke: " + Causes.describe(b.cause()), b.cause());
                }
            }
        }
    }

    private void table(Map<ObjectRef, Rollout> states) {
        var sb = new StringBuilder(String.format("  %-48s %-12s %s%n", "OBJECT", "STATUS", "DETAIL"));
        states.forEach((ref, r) -> sb.append(String.format("  %-48s %-12s %s%n", ref, r.state().name().toLowerCase(Locale.ROOT).replace('_', '-'), r.message())));
        log.info(sb.toString().stripTrailing());
    }
}
