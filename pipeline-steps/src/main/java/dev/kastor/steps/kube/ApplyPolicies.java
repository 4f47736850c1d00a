package dev.kastor.steps.kube;

import dev.kastor.oci.UsageException;
import dev.kastor.steps.k8s.Durations;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * The knobs GitLab's agent offered for its own GitOps ({@code gitops.manifest_projects[]} in the agent configuration:
 * {@code inventory_policy}, {@code prune_propagation_policy}, {@code prune_timeout}, {@code reconcile_timeout},
 * {@code dry_run_strategy}), with the same values and defaults, plus {@code --force-conflicts}. A picocli mixin, so
 * every command that applies an inventory (apply, rollback) offers the same options and variables.
 */
public final class ApplyPolicies {
    /** Whether an apply may take an object another inventory, or none, owns: cli-utils' {@code InventoryPolicy}. */
    public enum InventoryPolicy {
        must_match, adopt_if_no_inventory, adopt_all;

        /**
         * May an apply under inventory {@code ours} take a live object whose owning-inventory annotation is {@code owner}
         * (null: none)? cli-utils' {@code inventory.CanApply} for an object that exists (one that does not is always
         * applied), and {@code inventory.CanPrune} for a live object the previous apply listed: ours always; none only
         * when adopting; another inventory's only under adopt_all.
         */
        boolean mayTake(String ours, String owner) {
            if (owner == null) return this != must_match;
            return owner.equals(ours) || this == adopt_all;
        }
    }

    /** How pruned objects are deleted: Kubernetes' {@code propagationPolicy}. */
    public enum Propagation {
        orphan(DeletionPropagation.ORPHAN), background(DeletionPropagation.BACKGROUND), foreground(DeletionPropagation.FOREGROUND);

        final DeletionPropagation kubernetes;

        Propagation(DeletionPropagation kubernetes) {
            this.kubernetes = kubernetes;
        }
    }

    /** cli-utils' {@code DryRunStrategy}: none sends everything, client sends no write at all, server sends every write with dryRun=All. */
    public enum DryRunStrategy { none, client, server }

    @Option(names = "--inventory-policy", paramLabel = "POLICY", defaultValue = "must_match",
            description = "Which live objects --inventory may take over: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}). must_match refuses"
                    + " objects owned by another inventory or by none, and applies nothing then.")
    InventoryPolicy inventoryPolicy = InventoryPolicy.must_match;

    @Option(names = "--prune-propagation-policy", paramLabel = "PROPAGATION", defaultValue = "foreground",
            description = "How --prune deletes: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}: dependents first).")
    Propagation prunePropagation = Propagation.foreground;

    @Option(names = "--prune-timeout", paramLabel = "DURATION", defaultValue = "1h",
            description = "How long --prune waits until the pruned objects are really gone (default: ${DEFAULT-VALUE}).")
    String pruneTimeout = "1h";

    @Option(names = {"--reconcile-timeout", "--timeout"}, paramLabel = "DURATION", defaultValue = "1h",
            description = "How long --wait waits for the rollout, e.g. 90s, 10m (default: ${DEFAULT-VALUE}); --timeout is the older name.")
    String reconcileTimeout = "1h";

    @Option(names = "--dry-run-strategy", paramLabel = "STRATEGY", defaultValue = "none",
            description = "${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}): client sends no write at all, server asks the API server"
                    + " to validate every write and store nothing.")
    DryRunStrategy dryRunStrategy = DryRunStrategy.none;

    @Option(names = "--dry-run", description = "Same as --dry-run-strategy server.")
    boolean dryRun;

    @Option(names = "--force-conflicts", description = "Take fields another field manager applied; without it such a conflict is"
            + " reported per field and nothing is applied.")
    boolean forceConflicts;

    /** Refuses, as a usage error, values picocli cannot check: durations, --dry-run with the client strategy. */
    public void check() {
        pruneTimeout();
        reconcileTimeout();
        dryRunStrategy();
    }

    public InventoryPolicy inventoryPolicy() {
        return inventoryPolicy;
    }

    public Propagation prunePropagation() {
        return prunePropagation;
    }

    public Duration pruneTimeout() {
        return Durations.parse(pruneTimeout);
    }

    public Duration reconcileTimeout() {
        return Durations.parse(reconcileTimeout);
    }

    public DryRunStrategy dryRunStrategy() {
        if (dryRun && dryRunStrategy == DryRunStrategy.client) {
            throw new UsageException("--dry-run is --dry-run-strategy server: it cannot go with --dry-run-strategy client");
        }
        return dryRun ? DryRunStrategy.server : dryRunStrategy;
    }

    public boolean forceConflicts() {
        return forceConflicts;
    }
}
