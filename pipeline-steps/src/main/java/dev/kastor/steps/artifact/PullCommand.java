package dev.kastor.steps.artifact;

import dev.kastor.oci.extract.SafeExtractor;
import dev.kastor.oci.flux.ArtifactLocation;
import dev.kastor.oci.flux.FluxArtifacts;
import dev.kastor.steps.cli.Console;
import dev.kastor.steps.cli.Context;
import dev.kastor.steps.cli.OutputFlags;
import dev.kastor.steps.cli.RegistryFlags;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "pull", description = {"Fetch an artifact and extract it into DIR, all or nothing.", "",
        "Absolute paths, '..', links, special files and content beyond --max-size are refused; nothing partial is left.",
        "Example: kastor artifact pull oci://registry.example.com/app/manifests:v1 -o /tmp/manifests", ""})
final class PullCommand implements Callable<Integer> {
    private final Context ctx;

    @Parameters(index = "0", paramLabel = "SOURCE", description = "oci://HOST/REPO:TAG, oci://HOST/REPO@sha256:..., or oci-layout:DIR:TAG.")
    String source;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "DIR", description = "Directory to extract into (created; must be empty unless --overwrite).")
    String out;

    @Option(names = "--overwrite", description = "Extract into a non-empty DIR, replacing entries of the same name.")
    boolean overwrite;

    @Option(names = "--max-size", paramLabel = "MIB", defaultValue = "512", description = "Refuse artifacts whose content exceeds this many MiB (default: ${DEFAULT-VALUE}).")
    long maxMib = 512;

    @Mixin RegistryFlags registry;
    @Mixin OutputFlags output;

    PullCommand(Context ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() {
        var console = new Console(ctx, output.json());
        var location = ArtifactLocation.parse(source, ctx.workDir());
        var extractor = SafeExtractor.builder().maxBytes(maxMib * 1024 * 1024).overwrite(overwrite).build();
        FluxArtifacts.PullResult result;
        try (var section = console.section("pull", "Pulling " + location)) {
            result = registry.artifacts(ctx, console).pull(location, ctx.path(out), extractor);
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("url", result.url());
        json.put("digest", result.digest().toString());
        json.put("directory", result.directory().toString());
        json.put("files", result.files());
        json.put("annotations", result.annotations());
        output.emit(ctx, "pulled " + result.pinnedUrl() + " into " + out + " (" + result.files() + " files, "
                + Console.size(result.bytes()) + ")", json, Map.of("KASTOR_ARTIFACT_DIGEST", result.digest().toString()));
        return 0;
    }
}
