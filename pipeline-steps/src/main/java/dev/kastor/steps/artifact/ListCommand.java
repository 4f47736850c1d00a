package dev.kastor.steps.artifact;

import dev.kastor.oci.KastorException;
import dev.kastor.oci.flux.ArtifactMetadata;
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
        "With --dotenv FILE, the newest tag (by org.opencontainers.image.created) goes to FILE as KASTOR_ARTIFACT_URL,",
        "KASTOR_ARTIFACT_DIGEST and KASTOR_ARTIFACT_REVISION, as artifact push writes them: a job can deploy the latest artifact.",
        "Examples:",
        "  kastor artifact list oci://registry.example.com/app/manifests --output json",
        "  kastor artifact list oci://$CI_REGISTRY_IMAGE/manifests --dotenv artifact.env", ""})
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
        // Chosen before anything is printed: a repository with nothing to hand on fails whole, not after its table.
        FluxArtifacts.Listed newest = output.dotenv == null ? null : newest(ref, listed);
        Map<String, String> dotenv = newest == null ? null
                : ArtifactVariables.of(ref.withTag(newest.tag()).toString(), newest.digest(), newest.revision());
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
            output.emit(ctx, null, json, dotenv);
        } else {
            int w = Math.max(3, listed.stream().mapToInt(l -> l.tag().length()).max().orElse(3));
            ctx.out().printf("%-" + w + "s  %-19s  %-20s  %s%n", "TAG", "DIGEST", "CREATED", "REVISION");
            for (var l : listed) {
                ctx.out().printf("%-" + w + "s  %-19s  %-20s  %s%n", l.tag(), "sha256:" + l.digest().shortForm(),
                        l.created() == null ? "-" : l.created(), l.revision() == null ? "-" : l.revision());
            }
            console.info(listed.size() + " tag(s) in " + ref.name());
            if (dotenv != null) output.writeDotenv(ctx, dotenv);
        }
        if (newest != null) console.info("wrote the newest, " + newest.tag() + " (created " + newest.created() + "), to " + output.dotenv);
        return 0;
    }

    /** The newest listed artifact, for --dotenv; fails when no tag says when it was created. */
    private FluxArtifacts.Listed newest(Reference ref, List<FluxArtifacts.Listed> listed) {
        return FluxArtifacts.newest(listed).orElseThrow(() -> new KastorException(listed.isEmpty()
                ? ref.name() + " has no tags: no newest artifact to write to --dotenv " + output.dotenv
                : "no tag of " + ref.name() + " has an " + ArtifactMetadata.CREATED + " annotation: no newest artifact to write to --dotenv "
                        + output.dotenv));
    }
}
