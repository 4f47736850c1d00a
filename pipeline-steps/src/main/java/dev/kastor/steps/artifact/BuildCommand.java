package dev.kastor.steps.artifact;

import dev.kastor.oci.artifact.BuiltLayer;
import dev.kastor.oci.flux.FluxArtifacts;
import dev.kastor.steps.cli.Console;
import dev.kastor.steps.cli.Context;
import dev.kastor.steps.cli.OutputFlags;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "build", description = {"Write the artifact layer (reproducible tar+gzip) of DIR to a file and print its digest.", "",
        "Example: kastor artifact build deploy/ -o deploy.tgz"})
final class BuildCommand implements Callable<Integer> {
    private final Context ctx;

    @Parameters(index = "0", paramLabel = "DIR", description = "Directory (or single file) with the manifests; - reads one YAML stream from stdin.")
    String source;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE", description = "Where to write the .tgz (written atomically).")
    String out;

    @Mixin PackagingFlags packaging;
    @Mixin OutputFlags output;

    BuildCommand(Context ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() {
        var console = new Console(ctx, output.json());
        BuiltLayer layer;
        try (var section = console.section("build", "Packaging " + source)) {
            layer = new FluxArtifacts(host -> { throw new IllegalStateException("build talks to no registry"); })
                    .build(Sources.spec(ctx, console, source, packaging), ctx.path(out));
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("path", layer.path().toString());
        json.put("digest", layer.digest().toString());
        json.put("size", layer.size());
        json.put("files", layer.fileCount());
        output.emit(ctx, "built " + out + " " + layer.digest() + " (" + layer.fileCount() + " files, " + Console.size(layer.size()) + ")",
                json, Map.of("KASTOR_ARTIFACT_LAYER_DIGEST", layer.digest().toString()));
        return 0;
    }
}
