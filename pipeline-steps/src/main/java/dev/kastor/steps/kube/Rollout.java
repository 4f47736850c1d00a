package dev.kastor.steps.kube;

import dev.kastor.steps.k8s.Conditions.Condition;
import dev.kastor.steps.k8s.Conditions;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;

/**
 * Whether an applied object has rolled out, after kstatus: Deployments, StatefulSets, DaemonSets and Jobs by their
 * own status fields; any other object by the standard Ready/Stalled conditions; objects without either are done as
 * soon as they are applied.
 */
record Rollout(State state, String message) {
    enum State { IN_PROGRESS, DONE, FAILED }

    static boolean worthWaitingFor(GenericKubernetesResource o) {
        return switch (o.getKind()) {
            case "Deployment", "StatefulSet", "DaemonSet", "Job" -> true;
            default -> Conditions.get(o, "Ready") != null || o.get("status", "conditions") != null;
        };
    }

    static Rollout of(GenericKubernetesResource o) {
        if (o == null) return new Rollout(State.FAILED, "deleted");
        Long gen = o.getMetadata().getGeneration();
        long observed = number(o, "status", "observedGeneration");
        boolean seen = gen == null || observed >= gen;
        switch (o.getKind()) {
            case "Deployment": {
                Condition progressing = Conditions.get(o, "Progressing");
                if (progressing != null && "ProgressDeadlineExceeded".equals(progressing.reason())) return new Rollout(State.FAILED, progressing.describe());
                long want = specReplicas(o);
                long updated = number(o, "status", "updatedReplicas");
                long available = number(o, "status", "availableReplicas");
                long total = number(o, "status", "replicas");
                String msg = updated + "/" + want + " updated, " + available + " available" + (total > updated ? ", " + (total - updated) + " old" : "");
                boolean done = seen && updated >= want && available >= want && total <= updated;
                return new Rollout(done ? State.DONE : State.IN_PROGRESS, seen ? msg : "waiting for the controller to see generation " + gen);
            }
            case "StatefulSet": {
                long want = specReplicas(o);
                long ready = number(o, "status", "readyReplicas");
                long updated = number(o, "status", "updatedReplicas");
                String cur = Conditions.string(o, "status", "currentRevision");
                String upd = Conditions.string(o, "status", "updateRevision");
                boolean onDelete = "OnDelete".equals(Conditions.string(o, "spec", "updateStrategy", "type"));
                boolean revisionsDone = onDelete || upd == null || upd.equals(cur) || updated >= want;
                boolean done = seen && ready >= want && revisionsDone;
                return new Rollout(done ? State.DONE : State.IN_PROGRESS, ready + "/" + want + " ready, " + updated + " updated");
            }
            case "DaemonSet": {
                long desired = number(o, "status", "desiredNumberScheduled");
                long updated = number(o, "status", "updatedNumberScheduled");
                long available = number(o, "status", "numberAvailable");
                boolean done = seen && o.get("status", "desiredNumberScheduled") != null && updated >= desired && available >= desired;
                return new Rollout(done ? State.DONE : State.IN_PROGRESS, updated + "/" + desired + " updated, " + available + " available");
            }
            case "Job": {
                Condition complete = Conditions.get(o, "Complete");
                Condition failed = Conditions.get(o, "Failed");
                if (failed != null && failed.isTrue()) return new Rollout(State.FAILED, failed.describe());
                if (complete != null && complete.isTrue()) return new Rollout(State.DONE, "complete");
                return new Rollout(State.IN_PROGRESS, number(o, "status", "succeeded") + " succeeded, " + number(o, "status", "active") + " active");
            }
            default: {
                Condition stalled = Conditions.get(o, "Stalled");
                if (stalled != null && stalled.isTrue()) return new Rollout(State.FAILED, stalled.describe());
                Condition ready = Conditions.get(o, "Ready");
                if (ready == null) return new Rollout(State.DONE, "no Ready condition");
                return new Rollout(seen && ready.isTrue() ? State.DONE : State.IN_PROGRESS, ready.describe());
            }
        }
    }

    private static long specReplicas(GenericKubernetesResource o) {
        Object r = o.get("spec", "replicas");
        return r instanceof Number n ? n.longValue() : 1;
    }

    private static long number(GenericKubernetesResource o, Object... path) {
        Object v = o.get(path);
        return v instanceof Number n ? n.longValue() : 0;
    }
}
