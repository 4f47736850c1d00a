package dev.kastor.oci.artifact;

import static dev.kastor.oci.artifact.Trees.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kastor.oci.InvalidInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SourceTreeTest {
    @TempDir
    Path tmp;

    Path root;
    List<String> warnings = new ArrayList<>();

    @BeforeEach
    void makeRoot() throws IOException {
        root = Files.createDirectories(tmp.resolve("deploy"));
    }

    private List<String> paths(IgnoreRules rules, boolean resolveSymlinks) {
        return SourceTree.scanner(root).ignoreRules(rules).resolveSymlinks(resolveSymlinks).warnings(warnings::add).scan()
                .entries().stream().map(e -> e.type() == SourceTree.Type.DIRECTORY ? e.path() + "/" : e.path()).toList();
    }

    private List<String> paths() {
        return paths(IgnoreRules.fluxDefaults(), false);
    }

    @Test
    void defaultIgnoresDropGitMetadataAndBinaryMedia() {
        write(root, ".git/config", "[core]");
        write(root, ".gitignore", "target/");
        write(root, ".gitattributes", "* text=auto");
        write(root, "docs/diagram.png", "png");
        write(root, "photo.JPG.yaml", "a yaml file whose name merely contains jpg");
        write(root, "bundle.tar.gz", "tgz");
        write(root, "app.yaml", "kind: Deployment");

        assertThat(paths()).containsExactly("app.yaml", "photo.JPG.yaml");
    }

    @Test
    void sourceIgnoreInASubdirectoryOnlyAppliesBelowIt() {
        write(root, "apps/.sourceignore", "*.txt\n/local-only.yaml\n");
        write(root, "apps/notes.txt", "ignored");
        write(root, "apps/deeper/more.txt", "ignored: unanchored patterns match at any depth below");
        write(root, "apps/local-only.yaml", "ignored: anchored to apps/");
        write(root, "apps/deeper/local-only.yaml", "kept: the anchor is apps/, not apps/deeper/");
        write(root, "notes.txt", "kept: outside apps/");
        write(root, "local-only.yaml", "kept: outside apps/");

        assertThat(paths()).containsExactly(
                "apps/", "apps/.sourceignore", "apps/deeper/", "apps/deeper/local-only.yaml", "local-only.yaml", "notes.txt");
    }

    @Test
    void deeperSourceIgnoreOverridesAndNegationReincludes() {
        write(root, ".sourceignore", "*.yaml\n!keep.png\n");
        write(root, "a.yaml", "ignored by root .sourceignore");
        write(root, "keep.png", "re-included although *.png is a default");
        write(root, "other.png", "ignored by default");
        write(root, "apps/.sourceignore", "!*.yaml\n");
        write(root, "apps/app.yaml", "re-included by the deeper file");

        assertThat(paths()).containsExactly(".sourceignore", "apps/", "apps/.sourceignore", "apps/app.yaml", "keep.png");
    }

    @Test
    void ignorePathsReplaceTheDefaultsWhileAddIgnorePathsExtendThem() {
        write(root, ".git/HEAD", "ref");
        write(root, "logo.png", "png");
        write(root, "README.md", "docs");
        write(root, "app.yaml", "app");

        List<String> replaced = paths(IgnoreRules.of(IgnoreRules.parseList("*.md, ")), false);
        List<String> added = paths(IgnoreRules.fluxDefaults().plus(IgnoreRules.parseList("*.md")), false);

        assertThat(replaced).containsExactly(".git/", ".git/HEAD", "app.yaml", "logo.png");
        assertThat(added).containsExactly("app.yaml");
    }

    @Test
    void laterAddedPatternsCanNegateEarlierOnes() {
        write(root, "debug.log", "x");
        write(root, "important.log", "y");

        List<String> kept = paths(IgnoreRules.none().plus(List.of("*.log", "!important.log")), false);

        assertThat(kept).containsExactly("important.log");
    }

    @Test
    void directoryOnlyPatternsDoNotMatchFilesOfTheSameName() {
        write(root, "build/out.yaml", "ignored with its directory");
        write(root, "sub/build", "a file called build is kept");

        assertThat(paths(IgnoreRules.of(List.of("build/")), false)).containsExactly("sub/", "sub/build");
    }

    @Test
    void baseRulesCanBeQueriedDirectly() {
        IgnoreRules rules = IgnoreRules.fluxDefaults();

        assertThat(rules.ignores(".git", true)).isTrue();
        assertThat(rules.ignores("a/b/c.png", false)).isTrue();
        assertThat(rules.ignores("a/b/c.yaml", false)).isFalse();
        assertThat(rules.patterns()).isEqualTo(IgnoreRules.FLUX_DEFAULTS);
    }

    @Test
    void symlinksAreSkippedWithOneWarningEachByDefault() throws IOException {
        write(root, "real.yaml", "x");
        write(root, "dir/inner.yaml", "y");
        Files.createSymbolicLink(root.resolve("alias.yaml"), Path.of("real.yaml"));
        Files.createSymbolicLink(root.resolve("dirlink"), Path.of("dir"));

        assertThat(paths()).containsExactly("dir/", "dir/inner.yaml", "real.yaml");
        assertThat(warnings).containsExactly(
                "skipping symlink alias.yaml -> real.yaml (pass --resolve-symlinks to follow it)",
                "skipping symlink dirlink -> dir (pass --resolve-symlinks to follow it)");
    }

    @Test
    void ignoredSymlinksAreNotWarnedAbout() throws IOException {
        write(root, "real.yaml", "x");
        Files.createSymbolicLink(root.resolve("logo.png"), Path.of("real.yaml"));

        assertThat(paths()).containsExactly("real.yaml");
        assertThat(warnings).isEmpty();
    }

    @Test
    void resolvedSymlinksArePackagedWithTheTargetsContent() throws IOException {
        write(root, "base/real.yaml", "x");
        write(root, "base/nested/inner.yaml", "y");
        Files.createSymbolicLink(root.resolve("alias.yaml"), Path.of("base/real.yaml"));
        Files.createSymbolicLink(root.resolve("mirror"), Path.of("base"));

        SourceTree tree = SourceTree.scanner(root).resolveSymlinks(true).warnings(warnings::add).scan();

        assertThat(tree.entries()).extracting(SourceTree.Entry::path).containsExactly(
                "alias.yaml", "base", "base/nested", "base/nested/inner.yaml", "base/real.yaml",
                "mirror", "mirror/nested", "mirror/nested/inner.yaml", "mirror/real.yaml");
        SourceTree.Entry alias = tree.entries().getFirst();
        assertThat(alias.type()).isEqualTo(SourceTree.Type.FILE);
        assertThat(alias.size()).isEqualTo(1);
        assertThat(warnings).isEmpty();
    }

    @Test
    void symlinkLeadingOutsideTheRootIsRefusedNamingLinkAndTarget() throws IOException {
        Path secret = write(tmp, "secret.yaml", "password: hunter2");
        Files.createSymbolicLink(root.resolve("secret.yaml"), secret);
        write(root, "app.yaml", "x");

        assertThatThrownBy(() -> paths(IgnoreRules.fluxDefaults(), true))
                .isInstanceOf(InvalidInputException.class)
                .hasMessage("symlink secret.yaml -> " + secret + " points outside " + root
                        + ": remove it, or package without --resolve-symlinks");
    }

    @Test
    void relativeSymlinkClimbingOutIsRefusedToo() throws IOException {
        Files.createDirectories(tmp.resolve("outside"));
        write(tmp, "outside/x.yaml", "x");
        Files.createSymbolicLink(root.resolve("up"), Path.of("../outside"));

        assertThatThrownBy(() -> paths(IgnoreRules.fluxDefaults(), true))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("symlink up -> ../outside points outside");
    }

    @Test
    void symlinkCycleIsSkippedWithAWarning() throws IOException {
        write(root, "a/x.yaml", "x");
        Files.createSymbolicLink(root.resolve("a/loop"), Path.of(".."));

        assertThat(paths(IgnoreRules.fluxDefaults(), true)).containsExactly("a/", "a/x.yaml");
        assertThat(warnings).singleElement().asString().contains("a/loop -> ..", "cycle");
    }

    @Test
    void brokenSymlinkIsRefusedWhenResolving() throws IOException {
        write(root, "x.yaml", "x");
        Files.createSymbolicLink(root.resolve("dangling.yaml"), Path.of("gone.yaml"));

        assertThatThrownBy(() -> paths(IgnoreRules.fluxDefaults(), true))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("symlink dangling.yaml -> gone.yaml is broken");
    }

    @Test
    void specialFilesAreSkippedWithAWarning() throws Exception {
        write(root, "x.yaml", "x");
        Process mkfifo = new ProcessBuilder("mkfifo", root.resolve("pipe").toString()).start();
        assumeTrue(mkfifo.waitFor() == 0, "mkfifo is available");

        assertThat(paths()).containsExactly("x.yaml");
        assertThat(warnings).singleElement().asString().startsWith("skipping special file pipe");
    }

    @Test
    void unreadableFileIsRefusedBeforeAnythingIsWritten() throws IOException {
        Path locked = write(root, "locked.yaml", "x");
        Trees.chmod(locked, "---------");
        assumeTrue(!Files.isReadable(locked), "not running as root, which reads anything");

        assertThatThrownBy(() -> ArtifactBuilder.fromPath(root).build(tmp.resolve("l.tgz")))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("cannot read locked.yaml in " + root);
        assertThat(tmp.resolve("l.tgz")).doesNotExist();
    }

    @Test
    void executableBitComesFromTheOwnerExecutePermission() {
        Trees.chmod(write(root, "run.sh", "#!/bin/sh"), "rwxr--r--");
        Trees.chmod(write(root, "group-only.sh", "#!/bin/sh"), "rw-r-xr-x");

        SourceTree tree = SourceTree.scanner(root).scan();

        assertThat(tree.entries()).extracting(SourceTree.Entry::path, SourceTree.Entry::executable)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("group-only.sh", false), org.assertj.core.groups.Tuple.tuple("run.sh", true));
    }
}
