package dev.kastor.steps.kube;

import dev.kastor.oci.InvalidInputException;
import dev.kastor.steps.k8s.KubeConnection;
import dev.kastor.steps.log.StepLog;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Server-side apply of a set of manifests (field manager {@code kastor}, conflicts forced), CRDs and Namespaces first,
 * with an optional inventory for pruning. Everything is checked before anything is sent.
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
        planned.sort(Comparator.comparingInt(p -> p.manifest().rank())); // stable: input order within a rank
        return planned;
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

    /** Applies in order; returns what the server answered for each (the dry-run result under --dry-run). */
    List<GenericKubernetesResource> apply(List<Planned> planned, boolean dryRun, Inventory inventory) {
        var applied = new ArrayList<GenericKubernetesResource>();
        for (Planned p : planned) {
            GenericKubernetesResource o = p.manifest().object();
            if (inventory != null) {
                if (o.getMetadata().getAnnotations() == null) o.getMetadata().setAnnotations(new LinkedHashMap<>());
                o.getMetadata().getAnnotations().put(Inventory.OWNER_ANNOTATION, inventory.name());
            }
            try {
                GenericKubernetesResource result = item(p.type(), o).dryRun(dryRun)
                        .fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
                applied.add(result);
                log.info("  " + (dryRun ? "would apply " : "applied ") + p.manifest().id());
            } catch (KubernetesClientException e) {
                throw conn.explain("server-side apply of " + p.manifest().id() + " (" + p.manifest().where() + ")", e);
            }
        }
        return applied;
    }

    /** Deletes what the previous inventory had and the input no longer has, if it still carries this inventory's annotation. */
    List<Inventory.Entry> prune(Set<Inventory.Entry> previous, Set<Inventory.Entry> current, Inventory inventory, boolean dryRun) {
        var pruned = new ArrayList<Inventory.Entry>();
        var gone = new TreeSet<>(previous);
        gone.removeAll(current);
        // Reverse of apply order: namespaced objects before their Namespace, CRs before their CRD.
        var ordered = new ArrayList<>(gone);
        ordered.sort(Comparator.comparingInt((Inventory.Entry e) -> e.kind().equals("CustomResourceDefinition") ? 2 : e.kind().equals("Namespace") ? 1 : 0));
        for (Inventory.Entry e : ordered) {
            var type = new ResourceDefinitionContext.Builder().withGroup(e.group()).withVersion(e.version()).withKind(e.kind())
                    .withPlural(e.plural()).withNamespaced(e.namespaced()).build();
            var res = resource(type, e.namespace(), e.name());
            try {
                GenericKubernetesResource live = res.get();
                if (live == null) continue;
                var ann = live.getMetadata().getAnnotations();
                String owner = ann == null ? null : ann.get(Inventory.OWNER_ANNOTATION);
                if (!inventory.name().equals(owner)) {
                    log.warn("not pruning " + e + ": it is now owned by " + (owner == null ? "no inventory" : "inventory " + owner));
                    continue;
                }
                if (!dryRun) res.withPropagationPolicy(DeletionPropagation.BACKGROUND).delete();
                pruned.add(e);
                log.info("  " + (dryRun ? "would prune " : "pruned ") + e);
            } catch (KubernetesClientException ex) {
                throw conn.explain("pruning " + e, ex);
            }
        }
        return pruned;
    }
}
