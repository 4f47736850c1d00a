package dev.kastor.oci.layout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kastor.oci.Descriptor;
import dev.kastor.oci.Digest;
import dev.kastor.oci.InvalidInputException;
import dev.kastor.oci.MediaTypes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OciLayoutTest {
    @TempDir Path dir;

    @Test
    void retaggingReplacesTheTagsManifestAndKeepsOtherTags() {
        var layout = OciLayout.createOrOpen(dir.resolve("oci"));
        var one = manifest("one");
        var two = manifest("two");

        layout.tag("a", one);
        layout.tag("b", one);
        layout.tag("a", two);

        assertThat(layout.resolve("a")).contains(two);
        assertThat(layout.resolve("b")).contains(one);
        assertThat(layout.tags()).containsExactlyInAnyOrder("a", "b");
        assertThat(dir.resolve("oci/oci-layout")).content().contains("1.0.0");
    }

    @Test
    void blobsLandUnderTheirDigestAndNoTemporaryFilesRemain() throws Exception {
        var layout = OciLayout.createOrOpen(dir.resolve("oci"));
        byte[] content = "hello".getBytes();
        Digest d = Digest.of(content);

        layout.writeBlob(d, content);
        Path scratch = layout.scratchFile();
        Files.write(scratch, content);
        layout.moveBlob(d, scratch);

        assertThat(layout.readBlob(d)).isEqualTo(content);
        try (var files = Files.walk(dir)) {
            assertThat(files.filter(Files::isRegularFile).map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("oci-layout", d.hex());
        }
    }

    @Test
    void indexMarkerAndBlobsGetTheModeOfAnyNewFileNotTheOwnerOnlyModeOfATemporaryFile() throws Exception {
        var layout = OciLayout.createOrOpen(dir.resolve("oci"));
        byte[] content = "hello".getBytes();
        layout.writeBlob(Digest.of(content), content);
        layout.tag("a", manifest("one"));
        // What the umask gives a plain new file here: 0644 under the usual 022, and what skopeo and Flux's tools expect.
        var plain = Files.getPosixFilePermissions(Files.createFile(dir.resolve("plain")));

        for (String file : List.of("index.json", "oci-layout", "blobs/sha256/" + Digest.of(content).hex())) {
            assertThat(Files.getPosixFilePermissions(dir.resolve("oci").resolve(file))).as(file).isEqualTo(plain);
        }
    }

    @Test
    void openingADirectoryThatIsNoLayoutSaysSo() {
        assertThatThrownBy(() -> OciLayout.open(dir)).isInstanceOf(InvalidInputException.class).hasMessageContaining("not an OCI image layout");
    }

    private static Descriptor manifest(String seed) {
        byte[] b = seed.getBytes();
        return new Descriptor(MediaTypes.OCI_MANIFEST, Digest.of(b), b.length);
    }
}
