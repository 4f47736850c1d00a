package dev.kastor.steps.artifact;

import dev.kastor.oci.InvalidInputException;
import dev.kastor.oci.flux.PackagingSpec;
import dev.kastor.steps.env.Environment;
import dev.kastor.steps.log.StepLog;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Turns the source argument ({@code DIR}, {@code FILE} or {@code -} for stdin) into a {@link PackagingSpec}; what packaging
 * skips (ignored or unsupported files) is warned about on {@code log}.
 */
final class Sources {
    private Sources() {}

    static PackagingSpec spec(Environment env, StepLog log, String source, PackagingFlags flags) {
        if (source == null) {
            throw new InvalidInputException("no source given: pass a directory (kastor artifact push deploy/ oci://...) or --path -");
        }
        byte[] stdin = null;
        if ("-".equals(source)) {
            try {
                stdin = env.in().readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read standard input", e);
            }
            if (stdin.length == 0) {
                throw new InvalidInputException("nothing to package: standard input was empty (pipe manifests in, e.g. kustomize build . | kastor artifact push --path - ...)");
            }
        }
        return new PackagingSpec(stdin == null ? env.path(source) : null, stdin, PackagingSpec.STDIN_NAME, flags.ignorePaths,
                flags.addIgnorePaths, flags.resolveSymlinks, log::warn);
    }
}
