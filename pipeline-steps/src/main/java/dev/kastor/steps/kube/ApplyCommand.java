package dev.kastor.steps.kube;

import dev.kastor.oci.UsageException;
import dev.kastor.steps.cli.Console;
import dev.kastor.steps.cli.Context;
import dev.kastor.steps.cli.OutputFlags;
import dev.kastor.steps.k8s.AgentFlags;
import dev.kastor.steps.k8s.KubeConnection;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "apply", abbreviateSynopsis = true, description = {
        "Server-side apply manifests through the agent, CRDs and Namespaces first.", "",
        "Then the rest, each after the objects its config.kubernetes.io/depends-on names. Field manager kastor.",
        "Every document is checked first (YAML, apiVersion, kind, name, a kind the cluster serves, depends-on cycles), then",
        "every live object (--inventory-policy, fields another manager applied unless --force-conflicts): one refusal and",
        "nothing is applied. Input must be UTF-8; limits: 256 MiB per file or stdin, 8 MiB per document, 250 levels of nesting.", "",
        "Examples:",
        "  kastor kube apply deploy/ --wait --timeout 5m",
        "  kustomize build overlays/prod | kastor kube apply - --inventory app-prod --prune",
        "  kastor kube apply oci://$CI_REGISTRY_IMAGE/manifests@$KASTOR_ARTIFACT_DIGEST --dry-run", ""})
final class ApplyCommand implements Callable<Integer> {
    private final Context ctx;

    @Mixin Inputs inputs;

    @Option(names = "--inventory", paramLabel = "NAME",
            description = "Record what was applied in ConfigMap kastor-inventory-NAME (and annotate each object), so --prune can remove what later inputs drop.")
    String inventory;

    @Option(names = "--inventory-namespace", paramLabel = "NS", description = "Namespace of the inventory ConfigMap (default: the context's namespace, else default).")
    String inventoryNamespace;

    @Option(names = "--prune", description = "Delete objects of the previous apply with this --inventory that the input no longer has.")
    boolean prune;

    // Initialised as well as defaulted: kube rollback builds this command without parsing a command line.
    @Option(names = "--history-limit", paramLabel = "N", defaultValue = "10",
            description = "How many applies the --inventory keeps in its history for kastor kube history and rollback, oldest dropped (default: ${DEFAULT-VALUE}).")
    int historyLimit = InventoryHistory.DEFAULT_LIMIT;

    @Option(names = "--wait", description = "Wait until Deployments, StatefulSets, DaemonSets, Jobs and objects with a Ready condition have rolled out.")
    boolean await;

    @Mixin ApplyPolicies policies;
    @Mixin AgentFlags agent;
    @Mixin OutputFlags output;

    ApplyCommand(Context ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() throws InterruptedException {
        check();
        var console = new Console(ctx, output.json());
        ManifestReader reader = inputs.read(ctx, console);
        try (KubeConnection conn = agent.connect(ctx, console)) {
            return run(conn, console, reader);
        }
    }

    /** The usage errors, before anything is read or sent. */
    void check() {
        if (prune && inventory == null) throw new UsageException("--prune needs --inventory NAME: Kastor prunes only what an inventory it wrote lists");
        if (historyLimit < 1) throw new UsageException("--history-limit must be at least 1 (the apply being made), not " + historyLimit);
        policies.check();
    }

    /** The apply of what {@code reader} read, on a connection the caller holds (kube rollback read the history on it). */
    Integer run(KubeConnection conn, Console console, ManifestReader reader) throws InterruptedException {
        ApplyPolicies.DryRunStrategy strategy = policies.dryRunStrategy();
        boolean dryRun = strategy != ApplyPolicies.DryRunStrategy.none;
        var applier = new Applier(conn, console);
        String ns = inputs.namespace != null ? inputs.namespace : conn.defaultNamespace();
        List<Applier.Planned> planned = applier.plan(reader.manifests(), reader.problems(), ns);
        Inventory inv = inventory == null ? null : new Inventory(conn, inventory, inventoryNamespace != null ? inventoryNamespace : conn.defaultNamespace());
        // Taken before the preflight or the apply add the inventory annotation to the objects, and before anything is sent.
        InventoryHistory.Entry source = inv == null || dryRun ? null : inputs.historyEntry(planned, ns, ctx);
        applier.preflight(planned, inv, policies);
        var current = new TreeSet<Inventory.Entry>();
        planned.forEach(p -> current.add(p.entry()));
        var previous = inv == null ? new TreeSet<Inventory.Entry>() : new TreeSet<>(inv.load());
        if (inv != null && !dryRun) {
            // Record the union first: if this apply dies half-way, the next one still knows everything it may prune.
            var union = new TreeSet<>(previous);
            union.addAll(current);
            inv.save(union);
        }
        List<GenericKubernetesResource> applied;
        try (var section = console.section("apply", (dryRun ? "Dry-run (" + strategy + ") applying " : "Applying ") + planned.size() + " objects via " + conn.context().name())) {
            applied = applier.apply(planned, strategy, policies.forceConflicts(), inv);
        }
        List<Inventory.Entry> pruned = List.of();
        if (prune) pruned = applier.prune(previous, current, inv, policies);
        if (inv != null && !dryRun) {
            inv.save(current);
            inv.record(source, historyLimit);
        }
        if (await && !dryRun) new RolloutWait(conn, console).run(planned, policies.reconcileTimeout());
        var json = new LinkedHashMap<String, Object>();
        json.put("context", conn.context().name());
        json.put("dryRun", dryRun);
        json.put("dryRunStrategy", strategy.name());
        var objects = new ArrayList<Map<String, Object>>();
        for (GenericKubernetesResource o : applied) {
            var m = new LinkedHashMap<String, Object>();
            m.put("apiVersion", o.getApiVersion());
            m.put("kind", o.getKind());
            m.put("namespace", o.getMetadata().getNamespace());
            m.put("name", o.getMetadata().getName());
            objects.add(m);
        }
        json.put("applied", objects);
        json.put("pruned", pruned.stream().map(Inventory.Entry::toString).toList());
        output.emit(ctx, (dryRun ? "dry run: would apply " : "applied ") + applied.size() + " objects" + (prune ? ", " + (dryRun ? "would prune " : "pruned ") + pruned.size() : "")
                + " via " + conn.context().name(), json, null);
        return 0;
    }
}
