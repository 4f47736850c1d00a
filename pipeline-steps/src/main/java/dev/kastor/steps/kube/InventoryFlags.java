package dev.kastor.steps.kube;

import dev.kastor.steps.k8s.KubeConnection;
import picocli.CommandLine.Option;

/** Which inventory {@code kube history} and {@code kube rollback} read: the one an earlier {@code kube apply --inventory} wrote. */
final class InventoryFlags {
    @Option(names = "--inventory", required = true, paramLabel = "NAME", description = "The inventory (ConfigMap kastor-inventory-NAME) kastor kube apply --inventory NAME wrote.")
    String name;

    @Option(names = "--inventory-namespace", paramLabel = "NS", description = "Namespace of the inventory ConfigMap (default: the context's namespace, else default).")
    String namespace;

    Inventory open(KubeConnection conn) {
        return new Inventory(conn, name, namespace(conn));
    }

    /** The namespace asked for, else the context's: as kube apply chose it. */
    String namespace(KubeConnection conn) {
        return namespace != null ? namespace : conn.defaultNamespace();
    }
}
