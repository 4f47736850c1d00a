package dev.kastor.oci.artifact;

import static dev.kastor.oci.artifact.Trees.chmod;
import static dev.kastor.oci.artifact.Trees.touch;
import static dev.kastor.oci.artifact.Trees.write;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TreeDiffTest {
    @TempDir
    Path tmp;

    Path root;
    Path layer;

    @BeforeEach
    void buildAnArtifactOfTheTree() throws IOException {
        root = Files.createDirectories(tmp.resolve("deploy"));
        write(root, "apps/web.yaml", "web: 1\n");
        write(root, "apps/api.yaml", "api: 1\n");
        write(root, "run.sh", "#!/bin/sh\n");
        write(root, "same-size.yaml", "aaaa");
        layer = ArtifactBuilder.fromPath(root).build(tmp.resolve("layer.tgz")).path();
    }

    private TreeDiff diff() throws IOException {
        try (InputStream in = Files.newInputStream(layer)) {
            return TreeDiff.between(SourceTree.scanner(root).scan(), in);
        }
    }

    @Test
    void unchangedTreeIsIdenticalEvenWithNewTimesAndPermissions() throws IOException {
        touch(root.resolve("apps/web.yaml"), 5_000L);
        chmod(root.resolve("apps/api.yaml"), "rw-------");

        TreeDiff diff = diff();

        assertThat(diff.identical()).isTrue();
        assertThat(diff.added()).isEmpty();
    }

    @Test
    void reportsAddedRemovedAndChangedFilesSorted() throws IOException {
        write(root, "apps/web.yaml", "web: 2\n"); // same size, other content
        write(root, "same-size.yaml", "aaab");
        chmod(root.resolve("run.sh"), "rwxr-xr-x"); // only the executable bit changes
        Files.delete(root.resolve("apps/api.yaml"));
        write(root, "new/z.yaml", "z");
        write(root, "new/a.yaml", "a");
        write(root, "ignored.png", "not part of the comparison: ignored like in a build");

        TreeDiff diff = diff();

        assertThat(diff.identical()).isFalse();
        assertThat(diff.added()).containsExactly("new/a.yaml", "new/z.yaml");
        assertThat(diff.removed()).containsExactly("apps/api.yaml");
        assertThat(diff.changed()).containsExactly("apps/web.yaml", "run.sh", "same-size.yaml");
    }

    @Test
    void emptyLocalTreeReportsEverythingRemoved() throws IOException {
        for (String f : new String[] {"apps/web.yaml", "apps/api.yaml", "run.sh", "same-size.yaml"}) {
            Files.delete(root.resolve(f));
        }

        TreeDiff diff = diff();

        assertThat(diff.removed()).containsExactly("apps/api.yaml", "apps/web.yaml", "run.sh", "same-size.yaml");
        assertThat(diff.added()).isEmpty();
    }
}
