package dev.kastor.steps.kube;

import dev.kastor.oci.InvalidInputException;
import dev.kastor.oci.Scratch;
import dev.kastor.oci.extract.SafeExtractor;
import dev.kastor.oci.flux.ArtifactLocation;
import dev.kastor.oci.flux.FluxArtifacts;
import dev.kastor.steps.cli.Console;
import dev.kastor.steps.cli.Context;
import dev.kastor.steps.cli.RegistryFlags;
import dev.kastor.steps.env.Environment;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.List;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** What to apply: a directory, a file, {@code -} (stdin) or a pushed artifact {@code oci://HOST/REPO@sha256:…}. */
final class Inputs {
    @Parameters(index = "0", paramLabel = "SOURCE", description = "DIR, FILE, - (stdin), or oci://HOST/REPO@sha256:… (an artifact pushed by kastor artifact push).")
    String source;

    @Option(names = {"-n", "--namespace"}, paramLabel = "NS",
            description = "Namespace for namespaced objects that name none (default: the context's namespace, else default).")
    String namespace;

    @Mixin RegistryFlags registry;

    /** Set by {@link #read} when SOURCE was an artifact in a registry: that artifact, and it as oci://HOST/REPO@sha256:…. */
    private FluxArtifacts.PullResult pulled;
    private String pinned;

    ManifestReader read(Context ctx, Console console) {
        var reader = new ManifestReader(ManifestLimits.DEFAULT);
        if (source.equals("-")) {
            reader.readStream(ctx.in(), "stdin");
        } else if (source.startsWith("oci://") || source.startsWith("oci-layout:")) {
            // Tracked: the pulled files go when the step ends, also when a signal stops it.
            try (Scratch tmp = Scratch.track(Files.createTempDirectory("kastor-apply"))) {
                var location = ArtifactLocation.parse(source, ctx.workDir());
                var result = registry.artifacts(ctx, console).pull(location, tmp.path().resolve("content"), SafeExtractor.withDefaults());
                console.info("pulled " + result.pinnedUrl() + " (" + result.files() + " files)");
                if (location instanceof ArtifactLocation.InRegistry r) {
                    pulled = result;
                    pinned = r.reference().withTag(null).withDigest(result.digest()).toString();
                }
                reader.readPath(result.directory(), source);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        } else {
            reader.readPath(ctx.path(source), source);
        }
        reader.skipped().forEach(s -> console.warn("skipped " + s));
        if (reader.manifests().isEmpty() && reader.problems().isEmpty()) throw new InvalidInputException(source + " holds no Kubernetes object");
        return reader;
    }

    /** What the inventory history records of an apply of {@code planned} read by {@link #read}. */
    InventoryHistory.Entry historyEntry(List<Applier.Planned> planned, String namespace, Environment env) {
        return InventoryHistory.of(pulled, pinned, planned, namespace, env);
    }
}
