package dev.kastor.oci.artifact;

import static dev.kastor.oci.artifact.Trees.chmod;
import static dev.kastor.oci.artifact.Trees.files;
import static dev.kastor.oci.artifact.Trees.names;
import static dev.kastor.oci.artifact.Trees.read;
import static dev.kastor.oci.artifact.Trees.touch;
import static dev.kastor.oci.artifact.Trees.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kastor.oci.Digest;
import dev.kastor.oci.InvalidInputException;
import dev.kastor.oci.MediaTypes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArtifactBuilderTest {
    @TempDir
    Path tmp;

    private Path tree(String name) throws IOException {
        return Files.createDirectories(tmp.resolve(name));
    }

    @Test
    void sameTreeGivesSameDigestWhateverTheUmaskMtimeAndCreationOrder() throws IOException {
        Path a = tree("a");
        write(a, "apps/web/deployment.yaml", "kind: Deployment\n");
        write(a, "apps/web/service.yaml", "kind: Service\n");
        write(a, "kustomization.yaml", "resources: [apps/web]\n");
        for (String f : List.of("apps/web/deployment.yaml", "apps/web/service.yaml", "kustomization.yaml")) {
            chmod(a.resolve(f), "rw-------");
            touch(a.resolve(f), 1_000_000_000_000L);
        }
        chmod(a.resolve("apps"), "rwx------");

        Path b = tree("somewhere-else");
        write(b, "kustomization.yaml", "resources: [apps/web]\n");
        write(b, "apps/web/service.yaml", "kind: Service\n");
        write(b, "apps/web/deployment.yaml", "kind: Deployment\n");
        chmod(b.resolve("apps/web/service.yaml"), "rw-rw-r--");
        touch(b.resolve("apps/web/service.yaml"), 42_000L);

        BuiltLayer first = ArtifactBuilder.fromPath(a).build(tmp.resolve("a.tgz"));
        BuiltLayer second = ArtifactBuilder.fromPath(b).build(tmp.resolve("b.tgz"));

        assertThat(second.digest()).isEqualTo(first.digest());
        assertThat(Files.readAllBytes(second.path())).isEqualTo(Files.readAllBytes(first.path()));
    }

    @Test
    void digestIsTheSha256OfTheWrittenFileAndItsSizeIsTheFileSize() throws IOException {
        Path a = tree("a");
        write(a, "x.yaml", "x: 1\n");

        BuiltLayer layer = ArtifactBuilder.fromPath(a).build(tmp.resolve("out/layer.tar.gz"));

        assertThat(layer.digest()).isEqualTo(Digest.of(Files.readAllBytes(layer.path())));
        assertThat(layer.size()).isEqualTo(Files.size(layer.path()));
        assertThat(layer.fileCount()).isEqualTo(1);
        // One header block, one content block, and the two zero blocks that end a tar.
        assertThat(layer.uncompressedBytes()).isEqualTo(4 * 512);
        assertThat(layer.descriptor().mediaType()).isEqualTo(MediaTypes.FLUX_CONTENT);
    }

    @Test
    void differentContentOrExecutableBitGivesADifferentDigest() throws IOException {
        Path a = tree("a");
        Path script = write(a, "run.sh", "echo hi\n");
        Digest original = ArtifactBuilder.fromPath(a).build(tmp.resolve("1.tgz")).digest();

        write(a, "run.sh", "echo ho\n");
        Digest edited = ArtifactBuilder.fromPath(a).build(tmp.resolve("2.tgz")).digest();
        chmod(script, "rwxr-xr-x");
        Digest executable = ArtifactBuilder.fromPath(a).build(tmp.resolve("3.tgz")).digest();

        assertThat(edited).isNotEqualTo(original);
        assertThat(executable).isNotEqualTo(edited);
    }

    @Test
    void threadCountAndOutputKindNeverChangeTheBytes() throws IOException {
        Path a = tree("a");
        for (int i = 0; i < 200; i++) {
            write(a, "dir" + (i % 7) + "/file" + i + ".yaml", ("value: " + i + "\n").repeat(300 + i));
        }

        BuiltLayer one = ArtifactBuilder.fromPath(a).gzipThreads(1).build(tmp.resolve("1.tgz"));
        BuiltLayer four = ArtifactBuilder.fromPath(a).gzipThreads(4).build(tmp.resolve("4.tgz"));
        var stream = new ByteArrayOutputStream();
        BuiltLayer streamed = ArtifactBuilder.fromPath(a).writeTo(stream);

        assertThat(four.digest()).isEqualTo(one.digest());
        assertThat(streamed.digest()).isEqualTo(one.digest());
        assertThat(stream.toByteArray()).isEqualTo(Files.readAllBytes(one.path()));
        assertThat(streamed.path()).isNull();
    }

    @Test
    void entriesAreNormalisedSortedAndExecutablesKeep0755() throws IOException {
        Path a = tree("a");
        write(a, "b/z.yaml", "z");
        write(a, "a-b.yaml", "ab");
        Path script = write(a, "b/run.sh", "#!/bin/sh\n");
        chmod(script, "rwx------");
        chmod(a.resolve("b/z.yaml"), "rw-------");
        write(a, "A.yaml", "upper");

        BuiltLayer layer = ArtifactBuilder.fromPath(a).build(tmp.resolve("l.tgz"));

        // Whole-path byte order: '-' (0x2d) sorts before '/' (0x2f), upper case before lower case.
        assertThat(names(layer.path())).containsExactly("A.yaml", "a-b.yaml", "b/", "b/run.sh", "b/z.yaml");
        for (Trees.Read r : read(layer.path())) {
            TarArchiveEntry e = r.entry();
            assertThat(e.getLongUserId()).as(e.getName()).isZero();
            assertThat(e.getLongGroupId()).isZero();
            assertThat(e.getUserName()).isEmpty();
            assertThat(e.getGroupName()).isEmpty();
            assertThat(e.getModTime().getTime()).isZero();
            assertThat(e.getDevMajor()).isZero();
            assertThat(e.getExtraPaxHeaders()).isEmpty();
            int expectedMode = e.isDirectory() || e.getName().equals("b/run.sh") ? 0755 : 0644;
            assertThat(e.getMode() & 07777).as("mode of %s", e.getName()).isEqualTo(expectedMode);
        }
        assertThat(layer.fileCount()).isEqualTo(4);
    }

    @Test
    void theRealTarToolListsTheFiles() throws Exception {
        Path a = tree("a");
        write(a, "apps/web.yaml", "web");
        write(a, "readme.txt", "hello");
        BuiltLayer layer = ArtifactBuilder.fromPath(a).build(tmp.resolve("l.tgz"));

        Process tar = new ProcessBuilder("tar", "-tzvf", layer.path().toString()).redirectErrorStream(true).start();
        String listing = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(tar.waitFor(30, TimeUnit.SECONDS)).isTrue();

        assertThat(tar.exitValue()).as(listing).isZero();
        assertThat(listing.lines().toList()).hasSize(3);
        assertThat(listing)
                .contains("drwxr-xr-x 0/0", "apps/\n")
                .contains("-rw-r--r-- 0/0", "apps/web.yaml", "readme.txt")
                .contains("1970-01-01");
    }

    @Test
    void longAndNonAsciiNamesSurviveAndDoNotDependOnTheUserRunningTheBuild() throws IOException {
        Path a = tree("a");
        String longName = "very/".repeat(30) + "deep-" + "x".repeat(120) + ".yaml";
        write(a, longName, "deep");
        write(a, "überprüfung/ñandú.yaml", "unicode");
        String user = System.getProperty("user.name");
        Digest asAlice;
        Digest asBob;
        try {
            System.setProperty("user.name", "alice");
            asAlice = ArtifactBuilder.fromPath(a).build(tmp.resolve("alice.tgz")).digest();
            System.setProperty("user.name", "bob");
            asBob = ArtifactBuilder.fromPath(a).build(tmp.resolve("bob.tgz")).digest();
        } finally {
            System.setProperty("user.name", user);
        }

        assertThat(asBob).isEqualTo(asAlice);
        assertThat(files(tmp.resolve("bob.tgz"))).containsEntry(longName, "deep").containsEntry("überprüfung/ñandú.yaml", "unicode");
    }

    @Test
    void rebuildingWithTheOutputInsideTheTreeGivesTheSameDigest() throws IOException {
        Path a = tree("a");
        write(a, "x.yaml", "x");
        Path output = a.resolve("dist/artifact.tgz");

        BuiltLayer first = ArtifactBuilder.fromPath(a).build(output);
        BuiltLayer second = ArtifactBuilder.fromPath(a).build(output);

        assertThat(second.digest()).isEqualTo(first.digest());
        assertThat(names(output)).containsExactly("x.yaml");
        try (var left = Files.list(a.resolve("dist"))) {
            assertThat(left.map(p -> p.getFileName().toString())).containsExactly("artifact.tgz"); // no temp file left
        }
    }

    @Test
    void singleFileIsPackagedUnderItsOwnName() throws IOException {
        Path file = write(tmp, "sub/manifests.yaml", "kind: List\n");

        BuiltLayer layer = ArtifactBuilder.fromPath(file).build(tmp.resolve("l.tgz"));

        assertThat(names(layer.path())).containsExactly("manifests.yaml");
    }

    @Test
    void stdinBytesArePackagedAsOneFile() throws IOException {
        BuiltLayer layer = ArtifactBuilder.fromStdin("all.yaml", "kind: List\n".getBytes(StandardCharsets.UTF_8))
                .build(tmp.resolve("l.tgz"));

        assertThat(files(layer.path())).containsExactly(java.util.Map.entry("all.yaml", "kind: List\n"));
        assertThatThrownBy(() -> SourceTree.ofStdin("../x", new byte[0]))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("plain file name");
    }

    @Test
    void emptyDirectoryIsRefused() throws IOException {
        Path empty = tree("empty");
        Files.createDirectories(empty.resolve("only/empty/dirs"));

        assertThatThrownBy(() -> ArtifactBuilder.fromPath(empty).build(tmp.resolve("l.tgz")))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("nothing to package: " + empty + " has no files");
        assertThat(tmp.resolve("l.tgz")).doesNotExist();
    }

    @Test
    void directoryWithOnlyIgnoredFilesIsRefusedNamingTheRules() throws IOException {
        Path a = tree("a");
        write(a, "logo.png", "png");
        write(a, ".git/HEAD", "ref: main");

        assertThatThrownBy(() -> ArtifactBuilder.fromPath(a).build(tmp.resolve("l.tgz")))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("after ignore rules: .git/, .gitignore");
    }

    @Test
    void missingSourceIsRefused() {
        Path missing = tmp.resolve("nope");

        assertThatThrownBy(() -> ArtifactBuilder.fromPath(missing).build(tmp.resolve("l.tgz")))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining(missing + " does not exist");
    }

    @Test
    void emptyDirectoriesAreLeftOutButDirectoriesWithFilesAreEntries() throws IOException {
        Path a = tree("a");
        write(a, "apps/web/x.yaml", "x");
        Files.createDirectories(a.resolve("apps/empty"));
        write(a, "apps/ignored/logo.png", "png");

        BuiltLayer layer = ArtifactBuilder.fromPath(a).build(tmp.resolve("l.tgz"));

        assertThat(names(layer.path())).containsExactly("apps/", "apps/web/", "apps/web/x.yaml");
    }

    @Test
    void failingWriteLeavesNoFileBehind() throws IOException {
        Path a = tree("a");
        write(a, "x.yaml", "x");
        Path readOnlyParent = Files.createDirectories(tmp.resolve("blocked"));
        Files.writeString(readOnlyParent.resolve("file-not-dir"), "");

        assertThatThrownBy(() -> ArtifactBuilder.fromPath(a).build(readOnlyParent.resolve("file-not-dir/l.tgz")))
                .hasMessageContaining("cannot write");
        try (var left = Files.list(readOnlyParent)) {
            assertThat(left.map(p -> p.getFileName().toString())).containsExactly("file-not-dir");
        }
    }

    @Test
    void buildWarnsThroughTheCallersConsumer() throws IOException {
        Path a = tree("a");
        write(a, "x.yaml", "x");
        Files.createSymbolicLink(a.resolve("link.yaml"), Path.of("x.yaml"));
        var warnings = new ArrayList<String>();

        ArtifactBuilder.fromPath(a).warnings(warnings::add).build(tmp.resolve("l.tgz"));

        assertThat(warnings).containsExactly("skipping symlink link.yaml -> x.yaml (pass --resolve-symlinks to follow it)");
    }
}
