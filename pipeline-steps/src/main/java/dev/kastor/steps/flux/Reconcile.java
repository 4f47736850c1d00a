package dev.kastor.steps.flux;

import dev.kastor.steps.k8s.KubeConnection;
import dev.kastor.steps.k8s.ObjectRef;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Instant;
import java.time.format.DateTimeFormatter;

/** Asks a Flux controller to reconcile now, exactly as {@code flux reconcile} does: the requestedAt annotation. */
public final class Reconcile {
    public static final String ANNOTATION = "reconcile.fluxcd.io/requestedAt";

    private Reconcile() {}

    /** A fresh annotation value (RFC 3339 with nanoseconds, UTC); the controller copies it to {@code status.lastHandledReconcileAt}. */
    public static String now() {
        return DateTimeFormatter.ISO_INSTANT.format(Instant.now());
    }

    public static void request(KubeConnection conn, ObjectRef ref, String requestedAt) {
        // A JSON merge patch touches only this annotation, and works on every API server and proxy.
        String patch = "{\"metadata\":{\"annotations\":{\"" + ANNOTATION + "\":\"" + requestedAt + "\"}}}";
        try {
            var op = conn.client().genericKubernetesResources(ref.type()).inNamespace(ref.namespace()).withName(ref.name());
            if (op.get() == null) throw new KubernetesClientException("not found", 404, null);
            op.patch(PatchContext.of(PatchType.JSON_MERGE), patch);
        } catch (KubernetesClientException e) {
            throw conn.explain("requesting reconcile of " + ref, e);
        }
    }
}
