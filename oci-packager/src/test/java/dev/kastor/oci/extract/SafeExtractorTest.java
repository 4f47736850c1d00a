package dev.kastor.oci.extract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kastor.oci.KastorException;
import dev.kastor.oci.UnsafeArchiveException;
import dev.kastor.oci.artifact.ArtifactBuilder;
import dev.kastor.oci.artifact.BuiltLayer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeExtractorTest {
    @TempDir
    Path tmp;

    /** One entry of a hand-made archive: a file with content, or a link/device/dir described by its header. */
    private record Item(String name, byte type, String content, String linkTarget, int mode) {
        static Item file(String name, String content) {
            return new Item(name, TarConstants.LF_NORMAL, content, null, 0644);
        }

        static Item executable(String name, String content) {
            return new Item(name, TarConstants.LF_NORMAL, content, null, 0755);
        }

        static Item link(String name, byte type, String target) {
            return new Item(name, type, null, target, 0777);
        }

        static Item special(String name, byte type) {
            return new Item(name, type, null, null, 0644);
        }
    }

    private static byte[] tgz(Item... items) throws IOException {
        var bytes = new ByteArrayOutputStream();
        try (var tar = new TarArchiveOutputStream(new GZIPOutputStream(bytes), "UTF-8")) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (Item item : items) {
                var entry = item.linkTarget() != null || item.content() == null
                        ? new TarArchiveEntry(item.name(), item.type(), true)
                        : new TarArchiveEntry(item.name(), true);
                if (item.linkTarget() != null) {
                    entry.setLinkName(item.linkTarget());
                }
                byte[] content = item.content() == null ? new byte[0] : item.content().getBytes(StandardCharsets.UTF_8);
                entry.setSize(content.length);
                entry.setMode(item.mode());
                tar.putArchiveEntry(entry);
                tar.write(content);
                tar.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }

    private static InputStream in(byte[] bytes) {
        return new ByteArrayInputStream(bytes);
    }

    /** The parent holds only what the test created: no staging directory, no partial files. */
    private void assertNothingLeftBesides(String... names) throws IOException {
        try (Stream<Path> children = Files.list(tmp)) {
            assertThat(children.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(names);
        }
    }

    private static Map<String, String> contents(Path root) throws IOException {
        var map = new TreeMap<String, String>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                map.put(root.relativize(p).toString(), Files.readString(p));
            }
        }
        return map;
    }

    @Test
    void extractingABuiltLayerReproducesTheTreeWithNormalisedModes() throws IOException {
        Path source = Files.createDirectories(tmp.resolve("src"));
        Files.createDirectories(source.resolve("apps/web"));
        Files.writeString(source.resolve("apps/web/deployment.yaml"), "kind: Deployment\n");
        Files.writeString(source.resolve("run.sh"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(source.resolve("run.sh"), PosixFilePermissions.fromString("rwx------"));
        BuiltLayer layer = ArtifactBuilder.fromPath(source).build(tmp.resolve("layer.tgz"));
        Path target = tmp.resolve("out");

        SafeExtractor.Extracted result;
        try (InputStream in = Files.newInputStream(layer.path())) {
            result = SafeExtractor.withDefaults().extract(in, target);
        }

        assertThat(contents(target)).isEqualTo(contents(source));
        assertThat(result.files()).isEqualTo(2);
        assertThat(result.totalBytes()).isEqualTo(Files.size(source.resolve("apps/web/deployment.yaml")) + Files.size(source.resolve("run.sh")));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target.resolve("run.sh")))).isEqualTo("rwxr-xr-x");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target.resolve("apps/web/deployment.yaml")))).isEqualTo("rw-r--r--");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target))).isEqualTo("rwxr-xr-x");
        assertNothingLeftBesides("src", "layer.tgz", "out");
    }

    @Test
    void entryClimbingOutWithDotDotIsRefusedAndNothingIsLeft() throws IOException {
        byte[] archive = tgz(Item.file("ok.yaml", "fine"), Item.file("sub/../../x", "evil"));

        assertThatThrownBy(() -> SafeExtractor.withDefaults().extract(in(archive), tmp.resolve("out")))
                .isInstanceOf(UnsafeArchiveException.class)
                .hasMessageContaining("'sub/../../x'")
                .hasMessageContaining("climb out");
        assertNothingLeftBesides();
    }

    @Test
    void dotDotThatStaysInsideIsAllowed() throws IOException {
        byte[] archive = tgz(Item.file("a/../b.yaml", "fine"));

        SafeExtractor.withDefaults().extract(in(archive), tmp.resolve("out"));

        assertThat(contents(tmp.resolve("out"))).containsExactly(Map.entry("b.yaml", "fine"));
    }

    @Test
    void absolutePathIsRefused() throws IOException {
        byte[] archive = tgz(Item.file("/etc/x", "evil"));

        assertThatThrownBy(() -> SafeExtractor.withDefaults().extract(in(archive), tmp.resolve("out")))
                .isInstanceOf(UnsafeArchiveException.class)
                .hasMessageContaining("'/etc/x'")
                .hasMessageContaining("absolute");
        assertNothingLeftBesides();
    }

    @Test
    void symlinkEscapingTheTargetIsRefusedAndSoIsEveryOtherLink() throws IOException {
        byte[] escaping = tgz(Item.link("passwd", TarConstants.LF_SYMLINK, "/etc/passwd"), Item.file("passwd", "overwrite through the link"));
        byte[] inside = tgz(Item.file("a.yaml", "a"), Item.link("b.yaml", TarConstants.LF_SYMLINK, "a.yaml"));
        byte[] hard = tgz(Item.file("a.yaml", "a"), Item.link("c.yaml", TarConstants.LF_LINK, "../../etc/shadow"));

        assertThatThrownBy(() -> SafeExtractor.withDefaults().extract(in(escaping), tmp.resolve("out")))
                .isInstanceOf(UnsafeArchiveException.class)
                .hasMessageContaining("'passwd'")
                .hasMessageContaining("symbolic link to /etc/passwd");
        assertThatThrownBy(() -> SafeExtractor.withDefaults().extract(in(inside), tmp.resolve("out")))
                .isInstanceOf(UnsafeArchiveException.class)
                .hasMessageContaining("links are never extracted");
        assertThatThrownBy(() -> SafeExtractor.withDefaults().extract(in(hard), tmp.resolve("out")))
                .isInstanceOf(UnsafeArchiveException.class)
                .hasMessageContaining("hard link");
        assertNothingLeftBesides();
    }

    @Test
    void devicesAndFifosAreRefused() throws IOException {
        for (byte type : List.of(TarConstants.LF_CHR, TarConstants.LF_BLK, TarConstants.LF_FIFO)) {
            byte[] archive = tgz(Item.special("dev/thing", type));

            assertThatThrownBy(() -> SafeExtractor.withDefaults().extract(in(archive), tmp.resolve("out")))
                    .isInstanceOf(UnsafeArchiveException.class)
                    .hasMessageContaining("device or fifo");
        }
        assertNothingLeftBesides();
    }

    @Test
    void contentBeyondTheLimitIsRefusedAndNothingIsLeft() throws IOException {
        byte[] archive = tgz(Item.file("a.yaml", "x".repeat(600)), Item.file("b.yaml", "y".repeat(600)));
        Files.createDirectories(tmp.resolve("out"));

        assertThatThrownBy(() -> SafeExtractor.builder().maxBytes(1000).build().extract(in(archive), tmp.resolve("out")))
                .isInstanceOf(UnsafeArchiveException.class)
                .hasMessageContaining("'b.yaml'")
                .hasMessageContaining("over the limit of 1000");
        assertThat(tmp.resolve("out")).isEmptyDirectory();
        assertNothingLeftBesides("out");
    }

    @Test
    void aSingleEntryLargerThanTheLimitIsRefusedBeforeItIsWritten() throws IOException {
        byte[] archive = tgz(Item.file("big.bin", "z".repeat(5000)));

        assertThatThrownBy(() -> SafeExtractor.builder().maxBytes(1000).build().extract(in(archive), tmp.resolve("out")))
                .isInstanceOf(UnsafeArchiveException.class)
                .hasMessageContaining("'big.bin'");
        assertNothingLeftBesides();
    }

    @Test
    void tooManyEntriesAreRefused() throws IOException {
        byte[] archive = tgz(Item.file("a", "1"), Item.file("b", "2"), Item.file("c", "3"));

        assertThatThrownBy(() -> SafeExtractor.builder().maxEntries(2).build().extract(in(archive), tmp.resolve("out")))
                .isInstanceOf(UnsafeArchiveException.class)
                .hasMessageContaining("more than 2 entries");
        assertNothingLeftBesides();
    }

    @Test
    void aFileTheFileSystemCannotCreateNamesTheEntryAndLeavesNothing() throws IOException {
        String tooLong = "apps/" + "n".repeat(300) + ".yaml"; // over the 255 bytes a file name may have on Linux
        byte[] archive = tgz(Item.file("apps/a.yaml", "a"), Item.file(tooLong, "b"), Item.file("apps/c.yaml", "c"));

        assertThatThrownBy(() -> SafeExtractor.withDefaults().extract(in(archive), tmp.resolve("out")))
                .isInstanceOf(UnsafeArchiveException.class)
                .hasMessageContaining("refusing to extract entry '" + tooLong + "'")
                .hasMessageContaining("cannot be written")
                .hasMessageContaining("File name too long");
        assertNothingLeftBesides();
    }

    @Test
    void aNameTheArchiveHoldsTwiceEndsWithTheLastContentAndMode() throws IOException {
        byte[] archive = tgz(Item.executable("bin/run.sh", "first"), Item.file("bin/other.sh", "x"), Item.file("bin/run.sh", "second"));

        var x = SafeExtractor.withDefaults().extract(in(archive), tmp.resolve("out"));

        assertThat(tmp.resolve("out/bin/run.sh")).hasContent("second");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tmp.resolve("out/bin/run.sh")))).isEqualTo("rw-r--r--");
        assertThat(x.files()).isEqualTo(2);
    }

    @Test
    void largeFilesAmongSmallOnesAreWrittenWhole() throws IOException {
        String large = "0123456789abcdef".repeat(64 * 1024); // 1 MiB: streamed by the parsing thread, not handed over
        var items = new ArrayList<Item>();
        for (int i = 0; i < 200; i++) {
            items.add(Item.file("apps/small" + i + ".yaml", "n: " + i));
        }
        items.add(100, Item.executable("apps/large.bin", large));
        byte[] archive = tgz(items.toArray(Item[]::new));

        var x = SafeExtractor.withDefaults().extract(in(archive), tmp.resolve("out"));

        assertThat(x.files()).isEqualTo(201);
        assertThat(Files.readString(tmp.resolve("out/apps/large.bin"))).isEqualTo(large);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tmp.resolve("out/apps/large.bin")))).isEqualTo("rwxr-xr-x");
        assertThat(tmp.resolve("out/apps/small199.yaml")).hasContent("n: 199");
    }

    @Test
    void corruptGzipFailsAndLeavesNothing() throws IOException {
        byte[] archive = tgz(Item.file("a.yaml", "a".repeat(10_000)));
        archive[archive.length - 6] ^= 0x55; // inside the CRC-32 of the trailer

        assertThatThrownBy(() -> SafeExtractor.withDefaults().extract(in(archive), tmp.resolve("out")))
                .isInstanceOf(IOException.class);
        assertNothingLeftBesides();
    }

    @Test
    void nonEmptyTargetIsRefusedUnlessOverwriteWhichReplacesTheArtifactsEntries() throws IOException {
        Path target = tmp.resolve("out");
        Files.createDirectories(target.resolve("apps"));
        Files.writeString(target.resolve("apps/stale.yaml"), "stale");
        Files.writeString(target.resolve("unrelated.txt"), "mine");
        byte[] archive = tgz(Item.file("apps/web.yaml", "web"));

        assertThatThrownBy(() -> SafeExtractor.withDefaults().extract(in(archive), target))
                .isInstanceOf(KastorException.class)
                .hasMessageContaining(target + " is not empty: pass --overwrite");
        SafeExtractor.builder().overwrite(true).build().extract(in(archive), target);

        assertThat(contents(target)).containsExactly(Map.entry("apps/web.yaml", "web"), Map.entry("unrelated.txt", "mine"));
        assertNothingLeftBesides("out");
    }

    @Test
    void emptyExistingTargetReceivesTheEntries() throws IOException {
        Path target = Files.createDirectories(tmp.resolve("out"));

        SafeExtractor.withDefaults().extract(in(tgz(Item.file("x.yaml", "x"), Item.executable("bin/run", "#!"))), target);

        assertThat(contents(target)).containsExactly(Map.entry("bin/run", "#!"), Map.entry("x.yaml", "x"));
        assertThat(Files.isExecutable(target.resolve("bin/run"))).isTrue();
        assertNothingLeftBesides("out");
    }

    @Test
    void targetThatIsAFileIsRefused() throws IOException {
        Path target = Files.writeString(tmp.resolve("out"), "a file");

        assertThatThrownBy(() -> SafeExtractor.withDefaults().extract(in(tgz(Item.file("x", "x"))), target))
                .isInstanceOf(KastorException.class)
                .hasMessageContaining("is not a directory");
    }

    @Test
    void fileWhereTheArchiveLaterNeedsADirectoryIsRefusedCleanly() throws IOException {
        byte[] archive = tgz(Item.file("a", "file"), Item.file("a/b", "under a file"));

        assertThatThrownBy(() -> SafeExtractor.withDefaults().extract(in(archive), tmp.resolve("out")))
                .isInstanceOf(UnsafeArchiveException.class)
                .hasMessageContaining("'a/b'");
        assertNothingLeftBesides();
    }

    @Test
    void aFileThenADirectoryOfTheSameNameNamesTheEntryAndWhatItCollidesWith() throws IOException {
        byte[] nested = tgz(Item.file("deploy/app", "file"), Item.file("deploy/app/config.yaml", "under a file"));
        byte[] directory = tgz(Item.file("deploy/app", "file"), Item.special("deploy/app/", TarConstants.LF_DIR));

        for (byte[] archive : List.of(nested, directory)) {
            assertThatThrownBy(() -> SafeExtractor.withDefaults().extract(in(archive), tmp.resolve("out")))
                    .isInstanceOf(UnsafeArchiveException.class)
                    .hasMessageContaining("directory 'deploy/app'")
                    .hasMessageContaining("an earlier entry wrote 'deploy/app' as a file")
                    .hasMessageNotContaining("null");
            assertNothingLeftBesides();
        }
    }

    @Test
    void aDirectoryThenAFileOfTheSameNameNamesTheEntryAndWhatItCollidesWith() throws IOException {
        byte[] archive = tgz(Item.file("deploy/app/config.yaml", "x"), Item.file("deploy/app", "file"));

        assertThatThrownBy(() -> SafeExtractor.withDefaults().extract(in(archive), tmp.resolve("out")))
                .isInstanceOf(UnsafeArchiveException.class)
                .hasMessageContaining("refusing to extract entry 'deploy/app'")
                .hasMessageContaining("'deploy/app' is already a directory")
                .hasMessageNotContaining("null");
        assertNothingLeftBesides();
    }

    @Test
    void stagingDirectoriesOfTheTargetOlderThanADayAreRemovedAtTheNextExtraction() throws IOException {
        // What a pull killed outright (SIGKILL, a power cut) leaves: no shutdown hook ran.
        Path old = Files.createDirectories(tmp.resolve(".out.extract-123/deploy"));
        Files.writeString(old.resolve("app.yaml"), "left over");
        Path fresh = Files.createDirectories(tmp.resolve(".out.extract-456"));
        Path otherTarget = Files.createDirectories(tmp.resolve(".other.extract-789"));
        var twoDaysAgo = FileTime.from(Instant.now().minus(Duration.ofDays(2)));
        for (Path p : List.of(old, old.getParent(), otherTarget)) Files.setLastModifiedTime(p, twoDaysAgo);

        SafeExtractor.withDefaults().extract(in(tgz(Item.file("a.yaml", "a"))), tmp.resolve("out"));

        assertNothingLeftBesides("out", ".out.extract-456", ".other.extract-789");
        assertThat(fresh).as("a younger one may belong to a pull running now").isDirectory();
    }
}
