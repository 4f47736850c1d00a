package dev.kastor.steps.artifact;

import dev.kastor.oci.flux.FluxArtifacts;
import dev.kastor.oci.registry.Reference;
import dev.kastor.steps.cli.Console;
import dev.kastor.steps.cli.Context;
import dev.kastor.steps.cli.OutputFlags;
import dev.kastor.steps.cli.RegistryFlags;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "list", description = {"List the tags of a repository with digest, revision and creation time.", "",
        "Example: kastor artifact list oci://registry.example.com/app/manifests --output json", ""})
final class ListCommand implements Callable<Integer> {
    private final Context ctx;

    @Parameters(index = "0", paramLabel = "REPOSITORY", description = "oci://HOST/REPO")
    String repository;

    @Mixin RegistryFlags registry;
    @Mixin OutputFlags output;

    ListCommand(Context ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() {
        var console = new Console(ctx, output.json());
        Reference ref = Reference.parse(repository);
        List<FluxArtifacts.Listed> listed = registry.artifacts(ctx, console).list(ref);
        if (output.json()) {
            List<Map<String, Object>> json = new ArrayList<>();
            for (var l : listed) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("url", ref.withTag(l.tag()).toString());
                row.put("tag", l.tag());
                row.put("digest", l.digest().toString());
                row.put("created", l.created());
                row.put("source", l.source());
                row.put("revision", l.revision());
                json.add(row);
            }
            output.emit(ctx, null, json, null);
            return 0;
        }
        int w = Math.max(3, listed.stream().mapToInt(l -> l.tag().length()).max().orElse(3));
        ctx.out().printf("%-" + w + "s  %-19s  %-20s  %s%n", "TAG", "DIGEST", "CREATED", "REVISION");
        for (var l : listed) {
            ctx.out().printf("%-" + w + "s  %-19s  %-20s  %s%n", l.tag(), "sha256:" + l.digest().shortForm(),
                    l.created() == null ? "-" : l.created(), l.revision() == null ? "-" : l.revision());
        }
        console.info(listed.size() + " tag(s) in " + ref.name());
        return 0;
    }
}
