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
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "tag", description = {"Add tags to an artifact already in a registry; no blob is moved.", "",
        "Example: kastor artifact tag oci://registry.example.com/app/manifests@$KASTOR_ARTIFACT_DIGEST --tag production", ""})
final class TagCommand implements Callable<Integer> {
    private final Context ctx;

    @Parameters(index = "0", paramLabel = "SOURCE", description = "oci://HOST/REPO@sha256:... (or :TAG, resolved to its digest first).")
    String source;

    @Option(names = {"-t", "--tag"}, required = true, paramLabel = "TAG", description = "Tag to add (repeatable).")
    List<String> tags = new ArrayList<>();

    @Mixin RegistryFlags registry;
    @Mixin OutputFlags output;

    TagCommand(Context ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() {
        var console = new Console(ctx, output.json());
        Reference ref = Reference.parse(source);
        FluxArtifacts.TagResult result = registry.artifacts(ctx, console).tag(ref, tags);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("url", Reference.PREFIX + result.repository() + ":" + result.tags().get(0));
        json.put("repository", result.repository());
        json.put("tags", result.tags());
        json.put("digest", result.digest().toString());
        output.emit(ctx, "tagged " + result.repository() + "@" + result.digest() + " as " + String.join(", ", result.tags()), json,
                Map.of("KASTOR_ARTIFACT_URL", Reference.PREFIX + result.repository() + ":" + result.tags().get(0),
                        "KASTOR_ARTIFACT_DIGEST", result.digest().toString()));
        return 0;
    }
}
