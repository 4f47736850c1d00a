package dev.kastor.steps;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.oci.Digest;
import dev.kastor.testing.Eventually;
import dev.kastor.testing.HostileRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kastor artifact pull} stopped by SIGTERM (a cancelled or timed-out CI job) in the built jar, a real process:
 * whether it is downloading the layer from a slow registry or extracting it (both at once: the layer is extracted as
 * it arrives), it leaves nothing in its temp dir and no {@code .out.extract-*} staging directory beside the target.
 */
class ArtifactPullSignalIT {
    private static final Path JAR = Path.of("target/kastor.jar").toAbsolutePath();

    @TempDir
    Path work;

    @Test
    void sigtermWhileTheLayerDownloadsLeavesNoStagingDirectoryAndNothingInTheTempDir() throws Exception {
        byte[] layer = layer(200, 1024);
        try (var registry = HostileRegistry.start(HostileRegistry.fluxManifest(Digest.of(layer).toString(), layer.length),
                HostileRegistry.trickle(layer, 2048, 50))) {
            Process p = pull(registry);

            // The layer is extracted while it downloads: its staging directory is there from the first bytes.
            waitFor(p, () -> registry.bytesSent() > 8 * 1024 && !list(work, n -> n.startsWith(".out.extract-")).isEmpty(), "the download to start");
            stop(p);

            assertThat(list(tmpDir(), n -> true)).as("the temp dir of the stopped pull").isEmpty();
            assertThat(list(work, n -> n.contains(".extract-") || n.equals("out"))).isEmpty();
        }
    }

    @Test
    void sigtermWhileTheLayerIsExtractedLeavesNoStagingDirectory() throws Exception {
        byte[] layer = layer(80_000, 0); // many entries: extraction takes seconds, long enough to be caught in it
        try (var registry = HostileRegistry.start(HostileRegistry.fluxManifest(Digest.of(layer).toString(), layer.length),
                HostileRegistry.trickle(layer, 1024 * 1024, 0))) {
            Process p = pull(registry);

            waitFor(p, () -> !list(work, n -> n.startsWith(".out.extract-")).isEmpty(), "the extraction to start");
            stop(p);

            assertThat(list(work, n -> n.contains(".extract-") || n.equals("out"))).as("beside the target").isEmpty();
            assertThat(list(tmpDir(), n -> true)).as("the temp dir of the stopped pull").isEmpty();
        }
    }

    private Path tmpDir() throws IOException {
        return Files.createDirectories(work.resolve("tmp"));
    }

    private Process pull(HostileRegistry registry) throws IOException {
        assertThat(JAR).as("the built jar (this test runs in verify, after package)").exists();
        var cmd = new ArrayList<String>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djava.io.tmpdir=" + tmpDir(), "-jar", JAR.toString(),
                "artifact", "pull", "oci://" + registry.host() + "/bars/app:v1", "-o", "out", "--insecure-registry"));
        var pb = new ProcessBuilder(cmd).directory(work.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("CI_") || k.startsWith("DOCKER_") || k.startsWith("KASTOR_"));
        pb.environment().put("HOME", work.resolve("home").toString());
        return pb.redirectOutput(work.resolve("stdout").toFile()).redirectError(work.resolve("stderr").toFile()).start();
    }

    private void waitFor(Process p, Check check, String what) throws Exception {
        Eventually.until(Duration.ofSeconds(20), () -> what, () -> {
            if (check.ok()) return true;
            assertThat(p.isAlive()).as("kastor still running while waiting for " + what + "; stderr: " + stderr()).isTrue();
            return false;
        });
    }

    /** SIGTERM (Process.destroy on Linux), as GitLab's runner sends on cancel or timeout. */
    private void stop(Process p) throws Exception {
        p.destroy();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).as("kastor ended after SIGTERM").isTrue();
        assertThat(p.exitValue()).as("stderr: " + stderr()).isNotZero();
    }

    private String stderr() throws IOException {
        Path f = work.resolve("stderr");
        return Files.exists(f) ? Files.readString(f) : "";
    }

    @FunctionalInterface
    private interface Check {
        boolean ok() throws IOException;
    }

    private static List<String> list(Path dir, Predicate<String> names) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(names).filter(n -> !n.equals("tmp") && !n.startsWith("std")
                    && !n.equals("home")).toList();
        }
    }

    /** A Flux content layer of {@code files} files of {@code size} random bytes (so it does not compress), 1000 a directory. */
    private static byte[] layer(int files, int size) throws IOException {
        var bytes = new ByteArrayOutputStream();
        var random = new Random(files);
        try (var tar = new TarArchiveOutputStream(new GZIPOutputStream(bytes))) {
            for (int i = 0; i < files; i++) {
                var e = new TarArchiveEntry("deploy/d" + (i / 1000) + "/f" + i + ".yaml");
                byte[] content = new byte[size];
                random.nextBytes(content);
                e.setSize(content.length);
                tar.putArchiveEntry(e);
                tar.write(content);
                tar.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }
}
