package dev.kastor.oci.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kastor.oci.Descriptor;
import dev.kastor.oci.Digest;
import dev.kastor.oci.MediaTypes;
import dev.kastor.testing.HostileRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Blob downloads from a registry that sends more (or less) than the manifest declared. */
class HostileRegistryBlobTest {
    private static final RetryPolicy FAST = new RetryPolicy(2, Duration.ofMillis(10), Duration.ofMillis(50), 0.5);

    @TempDir
    Path tmp;

    private static Registry registry(HostileRegistry hostile) {
        return Registry.connect(hostile.host(), RegistryOptions.builder().insecure(true).retry(FAST).build());
    }

    @Test
    @Timeout(10)
    void anEndlessBodyForASmallBlobStopsAfterTheDeclaredSizeAndLeavesNothing() throws IOException {
        var layer = new Descriptor(MediaTypes.FLUX_CONTENT, Digest.of(new byte[172]), 172);
        try (var hostile = HostileRegistry.start(HostileRegistry.fluxManifest(layer.digest().toString(), 172), HostileRegistry.endless())) {
            Path target = tmp.resolve("blobs/layer.tgz");

            assertThatThrownBy(() -> registry(hostile).fetchBlob("bars/app", layer, BlobFiles.to(target)))
                    .isInstanceOf(RegistryException.class)
                    .hasMessageContaining(layer.digest().toString())
                    .hasMessageContaining("declares 172 bytes")
                    .hasMessageContaining("more than 172");

            assertThat(target).doesNotExist();
            try (Stream<Path> left = Files.list(target.getParent())) {
                assertThat(left).as("no partial file is left").isEmpty();
            }
            assertThat(hostile.bytesSent()).as("the client stopped reading long before GiBs").isLessThan(64L * 1024 * 1024);
        }
    }

    @Test
    @Timeout(10)
    void aBodyShorterThanDeclaredNamesBothSizes() {
        byte[] content = new byte[100];
        var layer = new Descriptor(MediaTypes.FLUX_CONTENT, Digest.of(new byte[172]), 172);
        try (var hostile = HostileRegistry.start(HostileRegistry.fluxManifest(layer.digest().toString(), 172),
                HostileRegistry.trickle(content, 100, 0))) {
            Path target = tmp.resolve("short.tgz");

            assertThatThrownBy(() -> registry(hostile).fetchBlob("bars/app", layer, BlobFiles.to(target)))
                    .isInstanceOf(RegistryException.class)
                    .hasMessageContaining("declares 172 bytes")
                    .hasMessageContaining("sent 100");
            assertThat(target).doesNotExist();
        }
    }
}
