package dev.kastor.oci.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kastor.testing.FaultProxy;
import dev.kastor.testing.RegistryServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Retries against a real registry behind a proxy that injects 503, 429 and connection resets. */
class RegistryFaultsTest {
    private static final RetryPolicy FAST = new RetryPolicy(4, Duration.ofMillis(10), Duration.ofSeconds(3), 0.5);

    private static RegistryServer server;
    private static FaultProxy proxy;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        server = RegistryServer.start();
        proxy = FaultProxy.in(server);
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @BeforeEach
    void clear() {
        proxy.clear();
    }

    private static Registry throughProxy() {
        return Registry.connect(proxy.host(), RegistryOptions.builder().insecure(true).retry(FAST).chunkSize(256 * 1024).build());
    }

    private static Registry direct() {
        return Registry.connect(server.host(), RegistryOptions.builder().insecure(true).build());
    }

    @Test
    void serviceUnavailableTwiceThenOkStillCompletesThePush() throws Exception {
        var artifact = FluxArtifact.create(tmp, 50_000, 11);
        proxy.on("POST", "/blobs/uploads/").times(2).respond(503);

        Registry registry = throughProxy();
        var digest = artifact.push(registry, "faults/flaky", "v1");

        assertThat(proxy.requests("POST", "/blobs/uploads/")).extracting(FaultProxy.Seen::status).startsWith(503, 503, 202);
        assertThat(direct().getManifest("faults/flaky", "v1").digest()).isEqualTo(digest);
    }

    @Test
    void retryAfterOfATooManyRequestsAnswerIsHonoured() throws Exception {
        var artifact = FluxArtifact.create(tmp, 1000, 12);
        proxy.on("POST", "/blobs/uploads/").times(1).respond(429, "Retry-After", "1");

        throughProxy().pushBlob("faults/limited", artifact.layerDescriptor(), artifact.layer(), null);

        List<FaultProxy.Seen> posts = proxy.requests("POST", "/blobs/uploads/");
        assertThat(posts).extracting(FaultProxy.Seen::status).containsExactly(429, 202);
        // The retry policy's own backoff is 10 ms: only Retry-After explains a wait of about a second.
        assertThat(Duration.ofNanos(posts.get(1).nanoTime() - posts.get(0).nanoTime())).isGreaterThanOrEqualTo(Duration.ofMillis(950));
    }

    @Test
    void connectionResetMidUploadIsRetriedAndCompletes() throws Exception {
        var artifact = FluxArtifact.create(tmp, 1024 * 1024, 13);
        proxy.on("PATCH", "/blobs/uploads/").times(1).resetAfterBodyBytes(64 * 1024);

        Registry registry = throughProxy();
        assertThat(registry.pushBlob("faults/reset", artifact.layerDescriptor(), artifact.layer(), null)).isEqualTo(BlobPushOutcome.UPLOADED);

        assertThat(proxy.requests("PATCH", "/blobs/uploads/")).extracting(FaultProxy.Seen::fault).first().asString().startsWith("reset");
        assertThat(proxy.requests("POST", "/blobs/uploads/")).as("a fresh upload session after the reset").hasSize(2);
        Path fetched = tmp.resolve("fetched");
        direct().fetchBlob("faults/reset", artifact.layerDescriptor(), BlobFiles.to(fetched));
        assertThat(fetched).hasSameBinaryContentAs(artifact.layer());
    }

    @Test
    void persistentServiceUnavailableOnBlobUploadFailsBeforeTheManifestIsPushed() throws Exception {
        var artifact = FluxArtifact.create(tmp, 1000, 14);
        proxy.on("POST|PATCH|PUT", "/blobs/uploads/").always().respond(503);

        assertThatThrownBy(() -> artifact.push(throughProxy(), "faults/down", "v1"))
                .isInstanceOf(RegistryException.Unavailable.class)
                .hasMessageContaining("4 attempts").hasMessageContaining("503")
                .satisfies(e -> assertThat(((RegistryException) e).status()).isEqualTo(503));

        assertThat(proxy.requests("PUT", "/manifests/")).isEmpty();
        assertThatThrownBy(() -> direct().getManifest("faults/down", "v1")).isInstanceOf(RegistryException.NotFound.class);
    }

    @Test
    void registryThatTakesTheRequestAndGoesSilentIsAbandonedAndRetriedInsteadOfHanging() throws Exception {
        var artifact = FluxArtifact.create(tmp, 1000, 16);
        proxy.on("PUT", "/manifests/").times(1).stall();
        Registry impatient = Registry.connect(proxy.host(), RegistryOptions.builder().insecure(true).retry(FAST)
                .timeout(Duration.ofMillis(500)).build());

        artifact.push(impatient, "faults/silent", "v1");

        assertThat(proxy.requests("PUT", "/manifests/")).extracting(FaultProxy.Seen::fault).startsWith("stall", null);
        assertThat(direct().getManifest("faults/silent", "v1").digest()).isNotNull();
    }

    @Test
    void registrySilentOnEveryAttemptFailsNamingTheSilenceAndTheTimeoutFlag() throws Exception {
        proxy.on("GET", "/tags/list").always().stall();
        Registry impatient = Registry.connect(proxy.host(), RegistryOptions.builder().insecure(true)
                .retry(new RetryPolicy(2, Duration.ofMillis(1), Duration.ofMillis(5), 0)).timeout(Duration.ofMillis(300)).build());

        assertThatThrownBy(() -> impatient.listTags("faults/silent"))
                .isInstanceOf(RegistryException.Unavailable.class)
                .hasMessageContaining("2 attempts").hasMessageContaining("no data from").hasMessageContaining("--registry-timeout");
    }

    @Test
    void registryThatIsNotListeningIsUnavailableAfterRetries() {
        int closedPort = dev.kastor.testing.Programs.freePort();
        Registry registry = Registry.connect("127.0.0.1:" + closedPort,
                RegistryOptions.builder().insecure(true).retry(new RetryPolicy(2, Duration.ofMillis(1), Duration.ofMillis(5), 0)).build());

        assertThatThrownBy(() -> registry.listTags("faults/none"))
                .isInstanceOf(RegistryException.Unavailable.class)
                .hasMessageContaining("2 attempts").hasMessageContaining("cannot connect");
    }

    @Test
    void registryRefusingTheManifestMediaTypeSaysWhichTypesAndWhatToDo() throws Exception {
        var artifact = FluxArtifact.create(tmp, 100, 15);
        // What an old registry without OCI artifact support answers (distribution < 2.7, Docker Hub of old).
        proxy.on("PUT", "/manifests/").always().respondJson(400,
                "{\"errors\":[{\"code\":\"MANIFEST_INVALID\",\"message\":\"manifest invalid\",\"detail\":\"unsupported media type\"}]}");

        assertThatThrownBy(() -> artifact.push(throughProxy(), "faults/old", "v1"))
                .isInstanceOf(RegistryException.Refused.class)
                .hasMessageContaining("does not accept the manifest media type application/vnd.oci.image.manifest.v1+json")
                .hasMessageContaining("application/vnd.cncf.flux.config.v1+json")
                .hasMessageContaining("Harbor >= 2.0");
        assertThat(proxy.requests("PUT", "/manifests/")).as("a refusal is not retried").hasSize(1);
    }
}
