package dev.kastor.steps.artifact;

import dev.kastor.oci.Digest;
import dev.kastor.oci.InvalidInputException;
import dev.kastor.oci.flux.ArtifactMetadata;
import dev.kastor.oci.flux.FluxArtifacts;
import dev.kastor.oci.registry.Reference;
import dev.kastor.steps.cli.Console;
import dev.kastor.steps.cli.Context;
import dev.kastor.steps.cli.OutputFlags;
import dev.kastor.steps.cli.RegistryFlags;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "rollback", description = {"Point TAG back at the artifact it had before, so Flux rolls back; no blob moves.", "",
        "A registry keeps no history of a tag, so \"before\" is defined by what kastor artifact list shows: the newest",
        "artifact of the repository, other than the one TAG points at, created (org.opencontainers.image.created) before",
        "it. The earlier artifact must still carry a tag of its own (push each commit under its own tag as well, e.g.",
        "$CI_COMMIT_SHORT_SHA, and move TAG with kastor artifact tag). --to picks a digest instead.", "",
        "Examples:",
        "  kastor artifact rollback oci://$CI_REGISTRY_IMAGE/manifests:production --dotenv artifact.env",
        "  kastor artifact rollback oci://registry.example.com/app/manifests:production --to sha256:4f2a9c", ""})
final class RollbackCommand implements Callable<Integer> {
    private final Context ctx;

    @Parameters(index = "0", paramLabel = "TARGET", description = "oci://HOST/REPO:TAG, the tag Flux follows.")
    String target;

    @Option(names = "--to", paramLabel = "DIGEST", description = "Point TAG at this digest (or a prefix of it) of a listed artifact instead.")
    String to;

    @Mixin RegistryFlags registry;
    @Mixin OutputFlags output;

    RollbackCommand(Context ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() {
        var console = new Console(ctx, output.json());
        Reference ref = Reference.parse(target);
        if (ref.tag() == null || ref.digest() != null) {
            throw new InvalidInputException("'" + target + "' names no tag to roll back: write oci://HOST/REPO:TAG (without @sha256:…)");
        }
        FluxArtifacts artifacts = registry.artifacts(ctx, console);
        List<FluxArtifacts.Listed> listed = artifacts.list(ref);
        FluxArtifacts.Listed current = listed.stream().filter(l -> l.tag().equals(ref.tag())).findFirst()
                .orElseThrow(() -> new InvalidInputException(ref.name() + " has no tag " + ref.tag() + ": nothing to roll back"));
        FluxArtifacts.Listed chosen = to == null ? previous(ref, listed, current) : chosen(ref, listed, to);
        if (chosen.digest().equals(current.digest())) {
            throw new InvalidInputException(ref + " already points at " + current.digest() + ": nothing to roll back");
        }
        artifacts.tag(ref.withTag(null).withDigest(chosen.digest()), List.of(ref.tag()));
        output.emit(ctx, "rolled back " + ref + " from " + current.digest() + " to " + chosen.digest()
                        + (chosen.revision() == null ? "" : " (revision " + chosen.revision() + ")"),
                json(ref, current, chosen), ArtifactVariables.of(ref.toString(), chosen.digest(), chosen.revision()));
        return 0;
    }

    /** The newest artifact created before {@code current}, other than it. */
    private static FluxArtifacts.Listed previous(Reference ref, List<FluxArtifacts.Listed> listed, FluxArtifacts.Listed current) {
        Instant created = current.createdAt().orElseThrow(() -> new InvalidInputException(ref + " (" + current.digest() + ") has no "
                + ArtifactMetadata.CREATED + " annotation, so nothing is known to be older: give --to DIGEST"));
        List<FluxArtifacts.Listed> older = listed.stream().filter(l -> !l.digest().equals(current.digest()))
                .filter(l -> l.createdAt().isPresent() && l.createdAt().get().isBefore(created)).toList();
        return FluxArtifacts.newest(older).orElseThrow(() -> new InvalidInputException("no tag of " + ref.name() + " points at an artifact created before " + ref
                        + " (" + current.created() + "): nothing to roll back to (kastor artifact list shows the tags)"));
    }

    /** The one listed artifact whose digest is or starts with {@code to}. */
    private static FluxArtifacts.Listed chosen(Reference ref, List<FluxArtifacts.Listed> listed, String to) {
        List<FluxArtifacts.Listed> matching = listed.stream().filter(l -> Digest.startsWith(l.digest().toString(), to)).toList();
        List<Digest> digests = matching.stream().map(FluxArtifacts.Listed::digest).distinct().toList();
        if (digests.size() != 1) {
            throw new InvalidInputException((digests.isEmpty() ? "no tag of " + ref.name() + " points at a digest starting with " + to
                    : "--to " + to + " matches " + digests + ": give more of the digest") + " (kastor artifact list shows the tags)");
        }
        return matching.get(0);
    }

    private static Map<String, Object> json(Reference ref, FluxArtifacts.Listed current, FluxArtifacts.Listed chosen) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("url", ref.toString());
        json.put("repository", ref.name());
        json.put("tag", ref.tag());
        json.put("digest", chosen.digest().toString());
        json.put("previousDigest", current.digest().toString());
        json.put("revision", chosen.revision());
        json.put("created", chosen.created());
        return json;
    }
}
