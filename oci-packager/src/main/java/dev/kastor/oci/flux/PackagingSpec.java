package dev.kastor.oci.flux;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * What goes into an artifact: a directory or file, or manifests read from stdin, and the rules that filter it.
 *
 * @param source        directory or single file to package; null when {@code stdin} is set
 * @param stdin         content read from standard input ({@code --path -}), packaged as one file {@code stdinName}
 * @param ignorePaths   gitignore patterns replacing Flux's defaults, or null for the defaults
 * @param addIgnorePaths patterns appended to the list
 * @param resolveSymlinks package what symlinks point at (inside the source only) instead of skipping them
 * @param warnings      where skipped symlinks and special files are reported
 */
public record PackagingSpec(Path source, byte[] stdin, String stdinName, List<String> ignorePaths, List<String> addIgnorePaths,
                            boolean resolveSymlinks, Consumer<String> warnings) {
    public static final String STDIN_NAME = "stdin.yaml";

    public PackagingSpec {
        addIgnorePaths = addIgnorePaths == null ? List.of() : List.copyOf(addIgnorePaths);
        ignorePaths = ignorePaths == null ? null : List.copyOf(ignorePaths);
        warnings = warnings == null ? w -> {} : warnings;
        stdinName = stdinName == null ? STDIN_NAME : stdinName;
    }
}
