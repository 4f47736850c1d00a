package dev.kastor.steps.k8s;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.util.List;
import java.util.Map;

/** Reads the standard status fields (conditions, observedGeneration) of any object, Flux's or not (kstatus style). */
public final class Conditions {
    private Conditions() {}

    /** A status condition as the API serves it; null fields when absent. */
    public record Condition(String type, String status, String reason, String message) {
        public boolean isTrue() {
            return "True".equals(status);
        }

        public boolean isFalse() {
            return "False".equals(status);
        }

        /** {@code Ready=False ReconciliationFailed: message}. */
        public String describe() {
            return type + "=" + status + (reason == null ? "" : " " + reason) + (message == null || message.isBlank() ? "" : ": " + message);
        }
    }

    @SuppressWarnings("unchecked")
    public static Condition get(GenericKubernetesResource o, String type) {
        Object list = o == null ? null : o.get("status", "conditions");
        if (!(list instanceof List<?> l)) return null;
        for (Object item : l) {
            if (item instanceof Map<?, ?> m && type.equals(m.get("type"))) {
                return new Condition(type, str(m.get("status")), str(m.get("reason")), str(m.get("message")));
            }
        }
        return null;
    }

    public static String string(GenericKubernetesResource o, Object... path) {
        Object v = o == null ? null : o.get(path);
        return v == null ? null : v.toString();
    }

    /** Whether the controller has seen the latest spec: {@code status.observedGeneration == metadata.generation}. */
    public static boolean observedLatest(GenericKubernetesResource o) {
        Long gen = o.getMetadata().getGeneration();
        Object observed = o.get("status", "observedGeneration");
        if (gen == null) return observed != null; // servers that do not count generations: having a status is all we can ask
        return observed instanceof Number n && n.longValue() == gen;
    }

    private static String str(Object o) {
        return o == null ? null : o.toString();
    }
}
