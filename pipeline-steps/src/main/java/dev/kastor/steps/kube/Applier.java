package dev.kastor.steps.kube;

import dev.kastor.oci.Causes;
import dev.kastor.oci.InvalidInputException;
import dev.kastor.oci.TimedOutException;
import dev.kastor.steps.k8s.Durations;
import dev.kastor.steps.k8s.KubeException;
import dev.kastor.steps.k8s.ObjectRef;
import dev.kastor.steps.k8s.WatchedObjects;
import dev.kastor.steps.k8s.KubeConnection;
import dev.kastor.steps.log.StepLog;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.ArrayList;
import java.util.Comparator;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Server-side apply of a set of manifests (field manager {@code kastor}) in {@link DependsOn}'s order, with an optional
 * inventory for pruning. Everything is checked before anything is sent: the input ({@link #plan}), then the live
 * objects ({@link #preflight}: inventory policy, field-manager conflicts).
 */
final class Applier {
    static final String FIELD_MANAGER = "kastor";

    /** An object ready to send: its manifest and resource type. */
    record Planned(Manifest manifest, ResourceDefinitionContext type) {
        Inventory.Entry entry() {
            var m = manifest.object().getMetadata();
            return new Inventory.Entry(Objects.requireNonNullElse(type.getGroup(), ""), type.getVersion(), type.getKind(), type.getPlural(),
                    type.isNamespaceScoped(), m.getNamespace(), m.getName());
        }
    }

    private final KubeConnection conn;
    private final StepLog log;

    /** {@code log} is told each object applied or pruned, and each one left unpruned. */
    Applier(KubeConnection conn, StepLog log) {
        this.conn = conn;
        this.log = log;
    }

    /** Resolves every manifest's type and namespace; throws listing every problem (file, document, reason) if any. */
    List<Planned> plan(List<Manifest> manifests, List<String> problems, String namespace) {
        var resolver = new TypeResolver(conn, manifests);
        var planned = new ArrayList<Planned>();
        var all = new ArrayList<>(problems);
        var seen = new HashMap<String, String>();
        for (Manifest m : manifests) {
            ResourceDefinitionContext type = resolver.resolve(m);
            if (type == null) {
                String av = m.object().getApiVersion();
                all.add(m.where() + ": unknown resource: the cluster serves no kind " + m.object().getKind() + " in " + av
                        + (resolver.servesVersion(av) ? "" : " (is the CRD or API group installed?)"));
                continue;
            }
            var meta = m.object().getMetadata();
            if (type.isNamespaceScoped()) {
                if (meta.getNamespace() == null || meta.getNamespace().isBlank()) meta.setNamespace(namespace);
            } else {
                meta.setNamespace(null);
            }
            String key = m.object().getApiVersion() + " " + m.id();
            String before = seen.putIfAbsent(key, m.where());
            if (before != null) {
                all.add(m.where() + ": " + m.id() + " is also defined in " + before);
                continue;
            }
            planned.add(new Planned(m, type));
        }
        if (!all.isEmpty()) {
            throw new InvalidInputException(all.size() + " invalid manifest" + (all.size() == 1 ? "" : "s") + ", nothing applied:\n  "
                    + String.join("\n  ", all));
        }
        return DependsOn.order(planned);
    }

    Resource<GenericKubernetesResource> resource(ResourceDefinitionContext type, String namespace, String name) {
        var op = conn.client().genericKubernetesResources(type);
        return type.isNamespaceScoped() ? op.inNamespace(namespace).withName(name) : op.withName(name);
    }

    /** The object itself as a resource to send (server-side apply needs the item, not just its name). */
    Resource<GenericKubernetesResource> item(ResourceDefinitionContext type, GenericKubernetesResource o) {
        var op = conn.client().genericKubernetesResources(type);
        return type.isNamespaceScoped() ? op.inNamespace(o.getMetadata().getNamespace()).resource(o) : op.resource(o);
    }

    /**
     * What must hold before the first write, checked on every object so that a refusal applies nothing: each live
     * object may be taken under the inventory policy (when there is an inventory), and, without --force-conflicts, a
     * server-side dry run of each live object meets no field another manager owns (not under the client strategy,
     * which asks the server nothing). An object that does not exist yet passes both.
     */
    void preflight(List<Planned> planned, Inventory inventory, ApplyPolicies policies) {
        var policy = policies.inventoryPolicy();
        boolean checkConflicts = !policies.forceConflicts() && policies.dryRunStrategy() != ApplyPolicies.DryRunStrategy.client;
        if (inventory == null && !checkConflicts) return; // nothing to check: no object need be read
        var refusals = new ArrayList<String>();
        for (Planned p : planned) {
            GenericKubernetesResource live = live(p);
            if (live == null) continue;
            var ann = live.getMetadata().getAnnotations();
            String owner = ann == null ? null : ann.get(Inventory.OWNER_ANNOTATION);
            if (inventory != null && !policy.mayTake(inventory.name(), owner)) {
                refusals.add(p.manifest().id() + " (" + p.manifest().where() + ") belongs to " + (owner == null ? "no inventory" : "inventory " + owner)
                        + ": --inventory-policy " + policy + " does not take it");
            } else if (checkConflicts) {
                refusals.addAll(conflicts(p, inventory));
            }
        }
        if (!refusals.isEmpty()) {
            throw new ApplyRefusedException(refusals.size() + " object" + (refusals.size() == 1 ? "" : "s") + " refused, nothing applied:\n  "
                    + String.join("\n  ", refusals));
        }
    }

    private GenericKubernetesResource live(Planned p) {
        var meta = p.manifest().object().getMetadata();
        try {
            return resource(p.type(), meta.getNamespace(), meta.getName()).get();
        } catch (KubernetesClientException e) {
            throw conn.explain("reading " + p.manifest().id(), e);
        }
    }

    /** Each field another manager owns that this apply would change, from the server's FieldManagerConflict causes. */
    private List<String> conflicts(Planned p, Inventory inventory) {
        try {
            send(p, ApplyPolicies.DryRunStrategy.server, false, inventory);
            return List.of();
        } catch (KubernetesClientException e) {
            var causes = e.getCode() == 409 && e.getStatus() != null && e.getStatus().getDetails() != null ? e.getStatus().getDetails().getCauses() : null;
            if (causes == null || causes.isEmpty()) throw conn.explain("server-side dry run of " + p.manifest().id() + " (" + p.manifest().where() + ")", e);
            return causes.stream().map(c -> p.manifest().id() + " field " + c.getField() + ": " + c.getMessage()
                    + " (--force-conflicts takes it)").toList();
        }
    }

    /** Applies in order; returns what the server answered for each (the input itself under the client strategy). */
    List<GenericKubernetesResource> apply(List<Planned> planned, ApplyPolicies.DryRunStrategy dryRun, boolean force, Inventory inventory) {
        var applied = new ArrayList<GenericKubernetesResource>();
        for (Planned p : planned) {
            try {
                applied.add(send(p, dryRun, force, inventory));
                log.info("  " + (dryRun != ApplyPolicies.DryRunStrategy.none ? "would apply " : "applied ") + p.manifest().id());
            } catch (KubernetesClientException e) {
                throw conn.explain("server-side apply of " + p.manifest().id() + " (" + p.manifest().where() + ")", e);
            }
        }
        return applied;
    }

    private GenericKubernetesResource send(Planned p, ApplyPolicies.DryRunStrategy dryRun, boolean force, Inventory inventory) {
        GenericKubernetesResource o = p.manifest().object();
        if (inventory != null) {
            if (o.getMetadata().getAnnotations() == null) o.getMetadata().setAnnotations(new LinkedHashMap<>());
            o.getMetadata().getAnnotations().put(Inventory.OWNER_ANNOTATION, inventory.name());
        }
        if (dryRun == ApplyPolicies.DryRunStrategy.client) return o;
        var op = item(p.type(), o).dryRun(dryRun == ApplyPolicies.DryRunStrategy.server).fieldManager(FIELD_MANAGER);
        return force ? op.forceConflicts().serverSideApply() : op.serverSideApply();
    }

    /**
     * Deletes what the previous inventory had and the input no longer has, if {@code policies}' inventory policy lets
     * this inventory take it (cli-utils' CanPrune), with its propagation policy; then waits, up to its prune timeout,
     * until every pruned object is gone (a finalizer or foreground deletion keeps it a while).
     */
    List<Inventory.Entry> prune(Set<Inventory.Entry> previous, Set<Inventory.Entry> current, Inventory inventory, ApplyPolicies policies)
            throws InterruptedException {
        var pruned = new ArrayList<Inventory.Entry>();
        var gone = new TreeSet<>(previous);
        gone.removeAll(current);
        boolean dryRun = policies.dryRunStrategy() != ApplyPolicies.DryRunStrategy.none;
        // Reverse of apply order: namespaced objects before their Namespace, CRs before their CRD.
        var ordered = new ArrayList<>(gone);
        ordered.sort(Comparator.comparingInt((Inventory.Entry e) -> e.kind().equals("CustomResourceDefinition") ? 2 : e.kind().equals("Namespace") ? 1 : 0));
        for (Inventory.Entry e : ordered) {
            var res = resource(e.type(), e.namespace(), e.name());
            try {
                GenericKubernetesResource live = res.get();
                if (live == null) continue;
                var ann = live.getMetadata().getAnnotations();
                String owner = ann == null ? null : ann.get(Inventory.OWNER_ANNOTATION);
                if (!policies.inventoryPolicy().mayTake(inventory.name(), owner)) {
                    log.warn("not pruning " + e + ": it is now owned by " + (owner == null ? "no inventory" : "inventory " + owner));
                    continue;
                }
                // The server's dry run sees the deletion too (admission, finalizers' webhooks), as cli-utils' prune does.
                switch (policies.dryRunStrategy()) {
                    case none -> res.withPropagationPolicy(policies.prunePropagation().kubernetes).delete();
                    case server -> res.dryRun().withPropagationPolicy(policies.prunePropagation().kubernetes).delete();
                    case client -> { }
                }
                pruned.add(e);
                log.info("  " + (dryRun ? "would prune " : "pruned ") + e);
            } catch (KubernetesClientException ex) {
                throw conn.explain("pruning " + e, ex);
            }
        }
        if (!dryRun) awaitGone(pruned, policies.pruneTimeout());
        return pruned;
    }

    /** Watches the pruned objects until none exists any more; a timeout names those still there. */
    private void awaitGone(List<Inventory.Entry> pruned, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (var watched = new WatchedObjects(conn)) {
            var there = new LinkedHashSet<ObjectRef>();
            for (Inventory.Entry e : pruned) {
                var ref = new ObjectRef(e.type(), e.namespace(), e.name());
                if (watched.follow(ref) != null) there.add(ref);
            }
            while (!there.isEmpty()) {
                long left = deadline - System.nanoTime();
                WatchedObjects.Update u = left <= 0 ? null : watched.next(Duration.ofNanos(left));
                if (u == null) {
                    throw new TimedOutException("timed out after " + Durations.format(timeout) + " waiting for pruned objects to be gone: "
                            + there.stream().map(ObjectRef::toString).collect(Collectors.joining(", ")));
                }
                if (u instanceof WatchedObjects.Changed c && c.object() == null) there.remove(c.ref());
                else if (u instanceof WatchedObjects.Broken b && b.cause() != null) throw new KubeException(b.what() + " broke: " + Causes.describe(b.cause()), b.cause());
            }
        }
    }
}
