package dev.kastor.steps.kube;

import dev.kastor.steps.cli.Console;
import dev.kastor.steps.cli.Context;
import dev.kastor.steps.cli.OutputFlags;
import dev.kastor.steps.k8s.AgentFlags;
import dev.kastor.steps.k8s.KubeConnection;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "history", description = {
        "List the last applies recorded by kastor kube apply --inventory NAME, oldest first, the current one last.", "",
        "Each: when, the source (an artifact oci://HOST/REPO@sha256:…, or for a directory, file or stdin the sha256 of the",
        "applied objects, each as key-sorted JSON, one per line, in apply order), the revision (the artifact's",
        "org.opencontainers.image.revision, else $CI_COMMIT_REF_NAME@sha1:$CI_COMMIT_SHA), the job ($CI_JOB_URL)",
        "and who ran it ($GITLAB_USER_LOGIN; in --output json).",
        "Only artifacts can be rolled back to (kastor kube rollback).", "",
        "Examples:",
        "  kastor kube history --inventory app-prod",
        "  kastor kube history --inventory app-prod --inventory-namespace shop --output json", ""})
final class HistoryCommand implements Callable<Integer> {
    private final Context ctx;

    @Mixin InventoryFlags inventory;
    @Mixin AgentFlags agent;
    @Mixin OutputFlags output;

    HistoryCommand(Context ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() {
        var console = new Console(ctx, output.json());
        List<InventoryHistory.Entry> history;
        try (KubeConnection conn = agent.connect(ctx, console)) {
            history = inventory.open(conn).history();
        }
        output.emit(ctx, table(history), history, null);
        return 0;
    }

    private String table(List<InventoryHistory.Entry> history) {
        if (history.isEmpty()) return "inventory " + inventory.name + " has no recorded apply (applied before Kastor kept history)";
        var text = new StringBuilder(String.format("%-3s  %-24s  %-19s  %-30s  %s%n", "#", "APPLIED", "DIGEST", "REVISION", "SOURCE"));
        for (int i = 0; i < history.size(); i++) {
            var e = history.get(i);
            text.append(String.format("%-3d  %-24s  %-19s  %-30s  %s%s%n", i + 1, e.time(), e.digest().substring(0, 19),
                    e.revision() == null ? "-" : e.revision(), e.isArtifact() ? e.reference() : "documents (not re-appliable)",
                    i == history.size() - 1 ? "  (current)" : ""));
        }
        return text.toString().stripTrailing();
    }
}
