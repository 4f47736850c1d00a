package dev.kastor.steps.artifact;

import dev.kastor.oci.InvalidInputException;
import dev.kastor.oci.flux.PackagingSpec;
import dev.kastor.steps.cli.Console;
import dev.kastor.steps.cli.Context;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Turns the source argument ({@code DIR}, {@code FILE} or {@code -} for stdin) into a {@link PackagingSpec}. */
final class Sources {
    private Sources() {}

    static PackagingSpec spec(Context ctx, Console console, String source, PackagingFlags flags) {
        if (source == null) {
            throw new InvalidInputException("no source given: pass a directory (kastor artifact push deploy/ oci://...) or --path -");
        }
        byte[] stdin = null;
        if ("-".equals(source)) {
            try {
                stdin = ctx.in().readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read standard input", e);
            }
            if (stdin.length == 0) {
                throw new InvalidInputException("nothing to package: standard input was empty (pipe manifests in, e.g. kustomize build . | kastor artifact push --path - ...)");
            }
        }
        return new PackagingSpec(stdin == null ? ctx.path(source) : null, stdin, PackagingSpec.STDIN_NAME, flags.ignorePaths,
                flags.addIgnorePaths, flags.resolveSymlinks, console::warn);
    }
}
