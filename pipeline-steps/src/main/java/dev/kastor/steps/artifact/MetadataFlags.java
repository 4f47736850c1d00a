package dev.kastor.steps.artifact;

import dev.kastor.oci.flux.ArtifactMetadata;
import dev.kastor.steps.cli.Context;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The annotations of a pushed artifact; GitLab CI variables give the defaults. */
public final class MetadataFlags {
    @Option(names = "--source", paramLabel = "URL", description = "org.opencontainers.image.source (default: $CI_PROJECT_URL).")
    String source;

    @Option(names = "--revision", paramLabel = "REV",
            description = "org.opencontainers.image.revision (default: $CI_COMMIT_REF_NAME@sha1:$CI_COMMIT_SHA; a short sha is refused).")
    String revision;

    @Option(names = {"-a", "--annotation"}, paramLabel = "KEY=VALUE", description = "Extra manifest annotation (repeatable).")
    List<String> annotations = new ArrayList<>();

    @Option(names = "--reproducible",
            description = "Fix org.opencontainers.image.created to $SOURCE_DATE_EPOCH (or 1970-01-01), so the same tree always gives the same digest.")
    boolean reproducible;

    ArtifactMetadata resolve(Context ctx) {
        var b = ArtifactMetadata.builder().env(ctx.env()).reproducible(reproducible).source(source).revision(revision);
        annotations.forEach(b::annotation);
        return b.build();
    }
}
