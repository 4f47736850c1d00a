package dev.kastor.steps.artifact;

import dev.kastor.oci.flux.ArtifactLocation;
import dev.kastor.oci.flux.FluxArtifacts;
import dev.kastor.steps.cli.Console;
import dev.kastor.steps.cli.Context;
import dev.kastor.steps.cli.OutputFlags;
import dev.kastor.steps.cli.RegistryFlags;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "diff", description = {"Compare DIR (filtered as for push) with the content of a pushed artifact.", "",
        "Exit code 0 when identical, 3 when they differ, 1 when the comparison failed.",
        "Example: kastor artifact diff deploy/ oci://registry.example.com/app/manifests:prod || echo changed", ""})
final class DiffCommand implements Callable<Integer> {
    private final Context ctx;

    @Parameters(index = "0", paramLabel = "DIR", description = "Local directory or file.")
    String source;

    @Parameters(index = "1", paramLabel = "ARTIFACT", description = "oci://HOST/REPO:TAG, oci://HOST/REPO@sha256:..., or oci-layout:DIR:TAG.")
    String artifact;

    @Mixin PackagingFlags packaging;
    @Mixin RegistryFlags registry;
    @Mixin OutputFlags output;

    DiffCommand(Context ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() {
        var console = new Console(ctx, output.json());
        var location = ArtifactLocation.parse(artifact, ctx.workDir());
        FluxArtifacts.DiffResult result = registry.artifacts(ctx, console)
                .diff(Sources.spec(ctx, console, source, packaging), location);
        return output.emitDiff(ctx, result.diff().identical(), text(result), json(result));
    }

    /** The paths added, removed and changed, then a line saying how the directory compares. */
    private String text(FluxArtifacts.DiffResult result) {
        var d = result.diff();
        var lines = new ArrayList<String>();
        d.added().forEach(p -> lines.add("+ " + p));
        d.removed().forEach(p -> lines.add("- " + p));
        d.changed().forEach(p -> lines.add("~ " + p));
        lines.add(d.identical()
                ? source + " is identical to " + result.pinnedUrl()
                : source + " differs from " + result.pinnedUrl() + ": " + d.added().size() + " added, "
                        + d.removed().size() + " removed, " + d.changed().size() + " changed");
        return String.join("\n", lines);
    }

    private static Map<String, Object> json(FluxArtifacts.DiffResult result) {
        var d = result.diff();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("url", result.url());
        json.put("digest", result.digest().toString());
        json.put("identical", d.identical());
        json.put("added", d.added());
        json.put("removed", d.removed());
        json.put("changed", d.changed());
        return json;
    }
}
