package dev.kastor.steps.artifact;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** How a directory becomes an artifact: ignore rules and symlink handling, as Flux's CLI spells them. */
public final class PackagingFlags {
    // hideParamSyntax: the synopsis would show PATTERN[,PATTERN...], which the help's wrapping can cut at the comma.
    @Option(names = "--ignore-paths", split = ",", paramLabel = "PATTERN", hideParamSyntax = true,
            description = "Replace the default ignore list with these gitignore patterns (comma-separated). Default: Flux's list"
                    + " (.git/, .gitignore, .gitmodules, .gitattributes, *.jpg, *.jpeg, *.gif, *.png, *.wmv, *.flv, *.tar.gz, *.zip).")
    List<String> ignorePaths;

    @Option(names = "--add-ignore-paths", split = ",", paramLabel = "PATTERN", hideParamSyntax = true,
            description = "Add gitignore patterns to the ignore list (comma-separated). A .sourceignore file in the tree is always honoured.")
    List<String> addIgnorePaths = new ArrayList<>();

    @Option(names = "--resolve-symlinks",
            description = "Package what symlinks point at (never a target outside the directory). Default: skip symlinks with a warning.")
    boolean resolveSymlinks;
}
