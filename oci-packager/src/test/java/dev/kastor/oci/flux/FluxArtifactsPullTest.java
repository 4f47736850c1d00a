package dev.kastor.oci.flux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kastor.oci.Digest;
import dev.kastor.oci.artifact.ArtifactBuilder;
import dev.kastor.oci.extract.SafeExtractor;
import dev.kastor.oci.registry.Reference;
import dev.kastor.oci.registry.Registry;
import dev.kastor.oci.registry.RegistryException;
import dev.kastor.oci.registry.RegistryOptions;
import dev.kastor.oci.registry.RetryPolicy;
import dev.kastor.testing.HostileRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pull from a registry extracts the layer while it downloads; what the registry sends is verified before the tree
 * is placed, so a layer that does not match its manifest leaves the target as it was.
 */
class FluxArtifactsPullTest {
    private static final RetryPolicy FAST = new RetryPolicy(3, Duration.ofMillis(10), Duration.ofMillis(50), 0.5);

    @TempDir
    Path tmp;

    private byte[] layer;
    private Path out;

    @BeforeEach
    void layerOfATree() throws IOException {
        Path tree = tmp.resolve("tree");
        for (int i = 0; i < 50; i++) {
            Files.createDirectories(tree.resolve("app" + i % 5));
            Files.writeString(tree.resolve("app" + i % 5 + "/res" + i + ".yaml"), ("kind: ConfigMap # " + i + "\n").repeat(200));
        }
        var bytes = new ByteArrayOutputStream();
        ArtifactBuilder.fromPath(tree).writeTo(bytes);
        layer = bytes.toByteArray();
        out = tmp.resolve("pulled/out");
    }

    private FluxArtifacts.PullResult pull(HostileRegistry registry) {
        var artifacts = new FluxArtifacts(host -> Registry.connect(host, RegistryOptions.builder().insecure(true).retry(FAST).build()));
        var location = new ArtifactLocation.InRegistry(Reference.parse("oci://" + registry.host() + "/bars/app:v1"));
        return artifacts.pull(location, out, SafeExtractor.withDefaults());
    }

    @Test
    @Timeout(20)
    void aLayerDeliveredSlowlyIsExtractedWhole() {
        try (var registry = HostileRegistry.start(HostileRegistry.fluxManifest(Digest.of(layer).toString(), layer.length),
                HostileRegistry.trickle(layer, 4096, 1))) {
            var result = pull(registry);

            assertThat(result.files()).isEqualTo(50);
            assertThat(out.resolve("app3/res48.yaml")).hasContent(("kind: ConfigMap # 48\n").repeat(200).stripTrailing());
            assertNoStagingLeft();
        }
    }

    @Test
    @Timeout(20)
    void aLayerWhoseBytesDoNotHaveTheManifestsDigestLeavesNothingAlthoughItIsAValidArchive() {
        String otherDigest = Digest.of(new byte[] {1, 2, 3}).toString();
        try (var registry = HostileRegistry.start(HostileRegistry.fluxManifest(otherDigest, layer.length),
                HostileRegistry.trickle(layer, 64 * 1024, 0))) {
            assertThatThrownBy(() -> pull(registry))
                    .isInstanceOf(RegistryException.class)
                    .hasMessageContaining("with content whose digest is " + Digest.of(layer))
                    .hasMessageContaining("nothing was kept");

            assertThat(out).doesNotExist();
            assertNoStagingLeft();
        }
    }

    @Test
    @Timeout(20)
    void bytesAfterTheDeclaredSizeFailThePullAndLeaveNothing() {
        try (var registry = HostileRegistry.start(HostileRegistry.fluxManifest(Digest.of(layer).toString(), layer.length),
                (body, sent) -> {
                    body.write(layer);
                    HostileRegistry.endless().write(body, sent);
                })) {
            assertThatThrownBy(() -> pull(registry))
                    .isInstanceOf(RegistryException.class)
                    .hasMessageContaining("sent more than " + layer.length + " bytes");

            assertThat(out).doesNotExist();
            assertNoStagingLeft();
        }
    }

    @Test
    @Timeout(20)
    void aDownloadThatBreaksOffIsRetriedIntoAFreshStagingDirectory() {
        var attempts = new AtomicInteger();
        try (var registry = HostileRegistry.start(HostileRegistry.fluxManifest(Digest.of(layer).toString(), layer.length),
                (body, sent) -> {
                    if (attempts.incrementAndGet() == 1) {
                        body.write(layer, 0, layer.length / 2);
                        body.flush();
                        // Unchecked: the test registry's server then drops the connection instead of ending the body.
                        throw new UncheckedIOException(new IOException("connection dropped by the test registry"));
                    }
                    body.write(layer);
                })) {
            var result = pull(registry);

            assertThat(attempts).hasValue(2);
            assertThat(result.files()).isEqualTo(50);
            assertThat(out.resolve("app0/res0.yaml")).exists();
            assertNoStagingLeft();
        }
    }

    private void assertNoStagingLeft() {
        try (Stream<Path> siblings = Files.list(out.getParent())) {
            assertThat(siblings.map(p -> p.getFileName().toString())).allMatch("out"::equals);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
