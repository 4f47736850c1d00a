package dev.kastor.citemplates;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the repository's files are: the tests run in {@code ci-templates/} (Maven's module directory). */
final class Repo {
    static final Path CI_TEMPLATES = find();
    static final Path ROOT = CI_TEMPLATES.getParent();

    private Repo() {}

    private static Path find() {
        Path dir = Path.of("").toAbsolutePath();
        if (Files.isRegularFile(dir.resolve("kastor.gitlab-ci.yml"))) return dir;
        if (Files.isRegularFile(dir.resolve("ci-templates/kastor.gitlab-ci.yml"))) return dir.resolve("ci-templates");
        throw new IllegalStateException("run the tests from the repository (ci-templates/ not found from " + dir + ")");
    }
}
