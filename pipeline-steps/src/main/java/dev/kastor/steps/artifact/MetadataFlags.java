package dev.kastor.steps.artifact;

import dev.kastor.oci.flux.ArtifactMetadata;
import dev.kastor.steps.cli.Context;
import java.nio.file.Path;
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
            description = "Content only: org.opencontainers.image.created is $SOURCE_DATE_EPOCH, else 1970-01-01, whatever the commit,"
                    + " so the same tree gives the same digest from any commit. Default: the commit's time (see above).")
    boolean reproducible;

    /** The annotations of an artifact of {@code tree} (the packaged directory or file; the working directory for stdin). */
    ArtifactMetadata resolve(Context ctx, Path tree) {
        var b = ArtifactMetadata.builder().env(ctx.env()).tree(tree).reproducible(reproducible).source(source).revision(revision);
        annotations.forEach(b::annotation);
        return b.build();
    }
}
