package dev.kastor.steps.artifact;

import dev.kastor.oci.flux.ArtifactLocation;
import dev.kastor.oci.flux.ArtifactMetadata;
import dev.kastor.oci.KastorException;
import dev.kastor.oci.flux.FluxArtifacts;
import dev.kastor.steps.cli.Console;
import dev.kastor.steps.cli.Context;
import dev.kastor.steps.cli.OutputFlags;
import dev.kastor.steps.cli.RegistryFlags;
import dev.kastor.steps.kas.NotifyFlags;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "push", description = {"Package DIR as a Flux artifact and push it to TARGET: oci://HOST/REPO:TAG or oci-layout:DIR:TAG.", "",
        "Blobs go first and the manifest last, so the tag never points at missing content; blobs the registry has are skipped.",
        "",
        "Reproducible: the same tree from the same commit gives the same digest, in CI and locally. The manifest's",
        "org.opencontainers.image.created is, first match: $SOURCE_DATE_EPOCH (seconds), $CI_COMMIT_TIMESTAMP (GitLab's",
        "ISO 8601 commit time), the commit time of HEAD of the Git work tree holding DIR (the working directory for --path -),",
        "else the clock. A line on stderr says which (createdFrom in --output json); a malformed variable is a usage error.",
        "",
        "Examples:",
        "  kastor artifact push deploy/ oci://$CI_REGISTRY_IMAGE/manifests:$CI_COMMIT_REF_SLUG --dotenv artifact.env",
        "  kustomize build . | kastor artifact push --path - oci://registry.example.com/app/manifests:prod",
        "  kastor artifact push examples/podinfo oci-layout:build/oci:example",
        "  kastor artifact push deploy/ oci://$CI_REGISTRY_IMAGE/manifests:main --notify   # KASTOR_KAS_API_URL set", ""})
final class PushCommand implements Callable<Integer> {
    private final Context ctx;

    @Parameters(arity = "1..2", paramLabel = "[DIR] TARGET", description = "Source directory (or file), then the target; with --path, only the target.")
    List<String> positionals = new ArrayList<>();

    @Option(names = "--path", paramLabel = "PATH", description = "Source directory or file instead of DIR; - reads one YAML stream from stdin (packaged as stdin.yaml).")
    String path;

    @Option(names = "--mount-from", paramLabel = "REPO", description = "Mount blobs from this repository of the same registry instead of uploading them.")
    String mountFrom;

    @Mixin PackagingFlags packaging;
    @Mixin MetadataFlags metadata;
    @Mixin RegistryFlags registry;
    @Mixin NotifyFlags notify;
    @Mixin OutputFlags output;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    PushCommand(Context ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() throws InterruptedException {
        String source;
        String target;
        if (path != null) {
            if (positionals.size() != 1) throw new CommandLine.ParameterException(spec.commandLine(), "with --path, give only the TARGET");
            source = path;
            target = positionals.get(0);
        } else {
            if (positionals.size() != 2) throw new CommandLine.ParameterException(spec.commandLine(), "give DIR and TARGET (or --path PATH and TARGET)");
            source = positionals.get(0);
            target = positionals.get(1);
        }
        var console = new Console(ctx, output.json());
        ArtifactLocation location = ArtifactLocation.parse(target, ctx.workDir());
        NotifyFlags.Notifier notifier = notify.prepare(ctx, location instanceof ArtifactLocation.InRegistry);
        ArtifactMetadata meta = metadata.resolve(ctx, "-".equals(source) ? ctx.workDir() : ctx.path(source));
        FluxArtifacts.PushResult result;
        try (var section = console.section("push", "Pushing " + source + " to " + location)) {
            console.info(meta.created().describe());
            result = registry.artifacts(ctx, console)
                    .push(Sources.spec(ctx, console, source, packaging), meta, location, mountFrom);
            var t = result.transfer();
            console.info(String.format("layer %s: %d files, %s; blobs uploaded %d, already present %d, mounted %d",
                    result.layer().digest().shortForm(), result.layer().fileCount(), Console.size(result.layer().size()),
                    t.blobsUploaded(), t.blobsSkipped(), t.blobsMounted()));
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("url", result.url());
        json.put("repository", result.repository());
        json.put("tag", result.tag());
        json.put("digest", result.digest().toString());
        json.put("revision", result.revision());
        json.put("created", meta.created().text());
        json.put("createdFrom", meta.created().origin().key);
        json.put("transfer", result.transfer());
        String summary = "pushed " + result.url() + "@" + result.digest() + (result.revision() == null ? "" : " (revision " + result.revision() + ")");
        KastorException notifyFailure = null;
        if (notifier != null) {
            // After the push only: a notification must never name a digest the registry does not serve yet.
            try (var section = console.section("notify", "Telling KAS of the push")) {
                var told = notifier.pushed(result.repository(), result.digest().toString(), result.tag());
                json.put("notified", told);
                summary += "; KAS told " + told.get("agents") + " agent(s)";
            } catch (KastorException e) {
                notifyFailure = e;
                json.put("notified", Map.of("error", e.getMessage()));
            }
        }
        // The artifact is in the registry either way: its outputs are written for the next job before any failure.
        output.emit(ctx, summary, json, ArtifactVariables.of(result.url(), result.digest(), result.revision()));
        if (notifyFailure != null) {
            throw new KastorException("the artifact was pushed, but " + notifyFailure.getMessage()
                    + " (Flux still reconciles at its spec.interval)", notifyFailure);
        }
        return 0;
    }
}
