package dev.kastor.oci.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kastor.oci.Descriptor;
import dev.kastor.oci.Digest;
import dev.kastor.oci.MediaTypes;
import dev.kastor.oci.Progress;
import dev.kastor.testing.FaultProxy;
import dev.kastor.testing.RegistryServer;
import dev.kastor.testing.Skopeo;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Push, pull, tag and list against a real plain-HTTP registry; skopeo checks the result independently. */
class RegistryPlainHttpTest {
    private static RegistryServer server;
    private static FaultProxy proxy;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startRegistry() {
        server = RegistryServer.start();
        // Counting requests needs a vantage point on the wire: the proxy forwards everything unchanged here.
        proxy = FaultProxy.in(server);
    }

    @AfterAll
    static void stopRegistry() {
        if (proxy != null) {
            proxy.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @BeforeEach
    void clearLog() {
        proxy.clear();
    }

    private static Registry registry() {
        return Registry.connect(server.host(), RegistryOptions.builder().insecure(true).build());
    }

    private static Registry throughProxy(RegistryOptions.Builder options) {
        return Registry.connect(proxy.host(), options.insecure(true).build());
    }

    @Test
    void pushedFluxArtifactIsReadBySkopeoByteForByte() throws Exception {
        var artifact = FluxArtifact.create(tmp, 40_000, 1);
        Digest digest = artifact.push(registry(), "bars/app", "v1");

        assertThat(digest).isEqualTo(artifact.manifestDigest());
        assertThat(Skopeo.inspectRaw(server.host() + "/bars/app:v1", null).getBytes(StandardCharsets.UTF_8))
                .isEqualTo(artifact.manifest());
        Path layout = tmp.resolve("layout");
        Skopeo.copyToOciLayout(server.host() + "/bars/app:v1", layout, "v1", null);
        Path copiedLayer = layout.resolve("blobs/sha256/" + artifact.layerDescriptor().digest().hex());
        assertThat(copiedLayer).exists();
        assertThat(Digest.of(Files.readAllBytes(copiedLayer))).isEqualTo(artifact.layerDescriptor().digest());
    }

    @Test
    void getManifestReturnsTheExactBytesMediaTypeAndDigest() throws Exception {
        var artifact = FluxArtifact.create(tmp, 1000, 2);
        artifact.push(registry(), "bars/get", "v1");

        Manifest manifest = registry().getManifest("bars/get", "v1");

        assertThat(manifest.bytes()).isEqualTo(artifact.manifest());
        assertThat(manifest.mediaType()).isEqualTo(MediaTypes.OCI_MANIFEST);
        assertThat(manifest.digest()).isEqualTo(artifact.manifestDigest());
        assertThat(registry().getManifest("bars/get", artifact.manifestDigest().toString())).isEqualTo(manifest);
    }

    @Test
    void pushOfUnchangedBlobUploadsNothing() throws Exception {
        var artifact = FluxArtifact.create(tmp, 10_000, 3);
        Registry registry = throughProxy(RegistryOptions.builder());
        assertThat(registry.pushBlob("bars/again", artifact.layerDescriptor(), artifact.layer(), null)).isEqualTo(BlobPushOutcome.UPLOADED);
        proxy.clear();

        assertThat(registry.pushBlob("bars/again", artifact.layerDescriptor(), artifact.layer(), null)).isEqualTo(BlobPushOutcome.EXISTED);
        assertThat(registry.pushBlob("bars/again", artifact.configDescriptor(), artifact.config())).isEqualTo(BlobPushOutcome.UPLOADED);
        assertThat(registry.pushBlob("bars/again", artifact.configDescriptor(), artifact.config())).isEqualTo(BlobPushOutcome.EXISTED);

        assertThat(proxy.requests("PATCH|PUT|POST", "/blobs/uploads/")).as("uploads after the first push")
                .allMatch(r -> r.target().contains(artifact.configDescriptor().digest().hex()) || r.method().equals("POST"))
                .hasSize(2); // only the config's POST and PUT
        assertThat(proxy.requests("HEAD", "/blobs/")).hasSize(3);
    }

    @Test
    void blobLargerThanTheChunkSizeIsUploadedInChunksAndRoundTrips() throws Exception {
        var artifact = FluxArtifact.create(tmp, 5 * 1024 * 1024 + 123, 4);
        var reported = new AtomicLong();
        Progress progress = (label, total) -> new Progress.Transfer() {
            @Override
            public void add(long bytes) {
                reported.addAndGet(bytes);
            }

            @Override
            public void close() {}
        };
        Registry registry = throughProxy(RegistryOptions.builder().chunkSize(1024 * 1024).progress(progress));

        assertThat(registry.pushBlob("bars/big", artifact.layerDescriptor(), artifact.layer(), null)).isEqualTo(BlobPushOutcome.UPLOADED);
        assertThat(proxy.requests("PATCH", "/blobs/uploads/")).hasSize(6);
        assertThat(reported.get()).isEqualTo(artifact.layerDescriptor().size());

        Path fetched = tmp.resolve("out/fetched.bin");
        registry.fetchBlob("bars/big", artifact.layerDescriptor(), BlobFiles.to(fetched));
        assertThat(fetched).hasSameBinaryContentAs(artifact.layer());
    }

    @Test
    void tagAddsASecondTagToTheSameDigestWithoutBlobTraffic() throws Exception {
        var artifact = FluxArtifact.create(tmp, 2000, 5);
        Registry registry = throughProxy(RegistryOptions.builder());
        Digest digest = artifact.push(registry, "bars/tagged", "sha-0123abc");
        proxy.clear();

        registry.tag("bars/tagged", digest, List.of("production", "v1.2.3"));

        assertThat(proxy.requests(".*", "/blobs/")).isEmpty();
        assertThat(registry.getManifest("bars/tagged", "production").digest()).isEqualTo(digest);
        assertThat(registry.listTags("bars/tagged")).containsExactlyInAnyOrder("sha-0123abc", "production", "v1.2.3");
    }

    @Test
    void getManifestOfUnknownTagIsNotFoundNamingRepositoryAndTag() throws Exception {
        FluxArtifact.create(tmp, 100, 6).push(registry(), "bars/known", "v1");

        assertThatThrownBy(() -> registry().getManifest("bars/known", "nope"))
                .isInstanceOf(RegistryException.NotFound.class)
                .hasMessageContaining("bars/known").hasMessageContaining("nope");
    }

    @Test
    void blobPushedToOneRepositoryIsMountedIntoAnother() throws Exception {
        var artifact = FluxArtifact.create(tmp, 3000, 7);
        Registry registry = throughProxy(RegistryOptions.builder());
        registry.pushBlob("team/a", artifact.layerDescriptor(), artifact.layer(), null);
        proxy.clear();

        assertThat(registry.pushBlob("team/b", artifact.layerDescriptor(), artifact.layer(), "team/a")).isEqualTo(BlobPushOutcome.MOUNTED);
        assertThat(registry.blobExists("team/b", artifact.layerDescriptor().digest())).isTrue();
        assertThat(proxy.requests("PATCH|PUT", ".*")).isEmpty();
    }

    @Test
    void fetchOfUnknownBlobIsNotFoundAndLeavesNoFile() throws Exception {
        FluxArtifact.create(tmp, 100, 8).push(registry(), "bars/fetch", "v1");
        Digest unknown = Digest.of("not pushed".getBytes(StandardCharsets.UTF_8));
        Path target = Files.createDirectories(tmp.resolve("dl")).resolve("blob");

        assertThatThrownBy(() -> registry().fetchBlob("bars/fetch", new Descriptor(MediaTypes.FLUX_CONTENT, unknown, 10), BlobFiles.to(target))).isInstanceOf(RegistryException.NotFound.class);
        assertThat(target).doesNotExist();
        try (var left = Files.list(target.getParent())) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void manifestReferencingAMissingBlobIsRefusedWithTheFix() throws Exception {
        var artifact = FluxArtifact.create(tmp, 100, 9);
        Registry registry = registry();
        registry.pushBlob("bars/partial", artifact.configDescriptor(), artifact.config());

        assertThatThrownBy(() -> registry.pushManifest("bars/partial", "v1", artifact.manifest(), MediaTypes.OCI_MANIFEST))
                .isInstanceOf(RegistryException.Refused.class)
                .hasMessageContaining("push the config and layer blobs before the manifest");
    }

    @Test
    void blobWhoseSizeDiffersFromItsDescriptorIsRejectedBeforeAnyRequest() throws Exception {
        var artifact = FluxArtifact.create(tmp, 100, 10);
        var wrong = new Descriptor(MediaTypes.FLUX_CONTENT, artifact.layerDescriptor().digest(), 99);

        assertThatThrownBy(() -> throughProxy(RegistryOptions.builder()).pushBlob("bars/x", wrong, artifact.layer(), null))
                .hasMessageContaining("100 bytes").hasMessageContaining("99");
        assertThat(proxy.requests()).isEmpty();
    }
}
