package dev.kastor.steps.kube;

import dev.kastor.steps.cli.Console;
import dev.kastor.steps.cli.Context;
import dev.kastor.steps.cli.OutputFlags;
import dev.kastor.steps.cli.RegistryFlags;
import dev.kastor.steps.k8s.AgentFlags;
import dev.kastor.steps.k8s.KubeConnection;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "rollback", description = {
        "Re-apply an earlier artifact of an inventory's history, by digest, with --prune.", "",
        "What that artifact had is restored, what it did not have is deleted, through the same engine as kube apply.",
        "Default: the apply before the current one (see kastor kube history). The rollback is itself recorded, so a",
        "second rollback goes back to what was current before the first. Only artifacts pulled from a registry can be",
        "re-applied: an apply of a directory, file or stdin is refused with the reason, and nothing changes.", "",
        "Examples:",
        "  kastor kube rollback --inventory app-prod",
        "  kastor kube rollback --inventory app-prod --to main@sha1:0123456789abcdef0123456789abcdef01234567",
        "  kastor kube rollback --inventory app-prod --to sha256:4f2a9c", ""})
final class RollbackCommand implements Callable<Integer> {
    private final Context ctx;

    @Mixin InventoryFlags inventory;

    @Option(names = "--to", paramLabel = "REVISION|DIGEST",
            description = "The apply to go back to: its revision, or its digest or a prefix of it (default: the one before the current).")
    String to;

    @Mixin ApplyPolicies policies;
    @Mixin AgentFlags agent;
    @Mixin RegistryFlags registry;
    @Mixin OutputFlags output;

    RollbackCommand(Context ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() throws InterruptedException {
        var console = new Console(ctx, output.json());
        try (KubeConnection conn = agent.connect(ctx, console)) {
            InventoryHistory.Entry target = InventoryHistory.target(inventory.open(conn).history(), to, inventory.name);
            console.info("rolling back inventory " + inventory.name + " to " + target.reference()
                    + (target.revision() == null ? "" : " (revision " + target.revision() + ")") + ", applied " + target.time());
            ApplyCommand apply = apply(target);
            apply.check();
            return apply.run(conn, console, apply.inputs.read(ctx, console));
        }
    }

    /**
     * kube apply of the entry's artifact with prune, as the entry's apply made it, under the same policies as an apply
     * (inventory policy, propagation, conflicts, timeouts): the one place a rollback applies.
     */
    private ApplyCommand apply(InventoryHistory.Entry target) {
        var apply = new ApplyCommand(ctx);
        apply.inputs = new Inputs();
        apply.inputs.source = target.reference();
        apply.inputs.namespace = target.namespace();
        apply.inputs.registry = registry;
        apply.inventory = inventory.name;
        apply.inventoryNamespace = inventory.namespace; // null: the context's, as kube apply takes it
        apply.prune = true;
        apply.policies = policies;
        apply.agent = agent;
        apply.output = output;
        return apply;
    }
}
