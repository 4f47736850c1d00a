package dev.kastor.steps;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.testing.FaultProxy;
import dev.kastor.testing.RegistryWithFaultProxy;
import dev.kastor.testing.Skopeo;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real registry behind {@link FaultProxy}: what {@code kastor artifact push} does when the registry is flaky,
 * rate-limits, is down, or refuses the artifact — and that it moves no blob it does not have to. Kastor talks to the
 * proxy; the tests check the registry directly (skopeo), so an injected fault can never hide a missing artifact.
 */
class ArtifactFaultsTest {
    @RegisterExtension
    static final RegistryWithFaultProxy REGISTRY = new RegistryWithFaultProxy();

    @TempDir
    Path tmp;

    @BeforeEach
    void clear() {
        REGISTRY.proxy().clear();
    }

    private Path deploy() {
        return Artifacts.write(tmp.resolve("deploy"), Map.of("app.yaml", "kind: ConfigMap\nmetadata:\n  name: faults\n"));
    }

    private KastorRun.Result push(String repoTag, String... more) {
        var args = new java.util.ArrayList<>(List.of("artifact", "push", deploy().toString(), "oci://" + REGISTRY.proxy().host() + "/" + repoTag,
                "--insecure-registry", "--output", "json"));
        args.addAll(List.of(more));
        return KastorRun.in(tmp).run(args.toArray(String[]::new));
    }

    @Test
    void serviceUnavailableTwiceOnBlobUploadIsRetriedAndThePushCompletes() {
        REGISTRY.proxy().on("POST", "/blobs/uploads/").times(2).respond(503);

        var r = push("faults/flaky:v1");

        assertThat(r.exit()).as(r.toString()).isZero();
        // The config blob's upload starts while the layer is built, so the two refusals may fall on either blob.
        assertThat(REGISTRY.proxy().requests("POST", "/blobs/uploads/")).extracting(FaultProxy.Seen::status).containsSubsequence(503, 503, 202);
        // The log says why the push took longer: each retry is announced with its attempt number.
        assertThat(r.err()).contains("503").contains("attempt 2 of");
        assertThat(r.err().split("; attempt ", -1)).as("two retries announced").hasSize(3);
        String raw = Skopeo.inspectRaw(REGISTRY.server().host() + "/faults/flaky:v1", null);
        assertThat(Artifacts.sha256(raw)).isEqualTo(r.json().get("digest").asString());
        assertThat(Artifacts.files(Artifacts.copyAndUnpack(REGISTRY.server().host() + "/faults/flaky:v1", null, tmp.resolve("check"))))
                .isEqualTo(Artifacts.files(tmp.resolve("deploy")));
    }

    @Test
    void registryDownForBlobUploadsFailsBeforeTheManifestSoNoTagAppears() {
        REGISTRY.proxy().on("POST|PATCH|PUT", "/blobs/uploads/").always().respond(503);

        var r = push("faults/down:v1", "--retries", "2");

        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("503").contains("2 attempts");
        assertThat(r.out()).isEmpty();
        assertThat(REGISTRY.proxy().requests("PUT", "/manifests/")).as("manifest PUT after failed blobs").isEmpty();
        assertThat(Artifacts.tagExists(REGISTRY.server().host() + "/faults/down:v1", null)).isFalse();
    }

    @Test
    void tooManyRequestsWaitsForRetryAfterAndCompletes() {
        REGISTRY.proxy().on("POST", "/blobs/uploads/").times(1).respond(429, "Retry-After", "2");

        var r = push("faults/limited:v1");

        assertThat(r.exit()).as(r.toString()).isZero();
        List<FaultProxy.Seen> posts = REGISTRY.proxy().requests("POST", "/blobs/uploads/");
        assertThat(posts).extracting(FaultProxy.Seen::status).startsWith(429).containsSubsequence(202, 202);
        // The refused upload is retried last (the other blob's went ahead at once). The default backoff starts at
        // 500 ms (with jitter): only Retry-After explains two seconds.
        assertThat(Duration.ofNanos(posts.getLast().nanoTime() - posts.getFirst().nanoTime())).isGreaterThanOrEqualTo(Duration.ofMillis(1950));
        assertThat(Artifacts.tagExists(REGISTRY.server().host() + "/faults/limited:v1", null)).isTrue();
    }

    @Test
    void pushingUnchangedContentAgainUploadsNoBlob() {
        // Not --reproducible: the manifest differs (created), the blobs do not, and only blobs are heavy.
        var first = push("faults/again:v1");
        assertThat(first.exit()).as(first.toString()).isZero();
        assertThat(first.json().get("transfer").get("blobsUploaded").asInt()).isEqualTo(2);
        REGISTRY.proxy().clear();

        var second = push("faults/again:v2");

        assertThat(second.exit()).as(second.toString()).isZero();
        assertThat(second.json().get("transfer").get("blobsUploaded").asInt()).isZero();
        assertThat(second.json().get("transfer").get("blobsSkipped").asInt()).isEqualTo(2);
        assertThat(REGISTRY.proxy().requests("POST|PATCH|PUT", "/blobs/")).as("blob uploads on a re-push").isEmpty();
        assertThat(REGISTRY.proxy().requests("PUT", "/manifests/v2")).hasSize(1);
        assertThat(Artifacts.sha256(Skopeo.inspectRaw(REGISTRY.server().host() + "/faults/again:v2", null))).isEqualTo(second.json().get("digest").asString());
    }

    @Test
    void registryRefusingTheFluxMediaTypesFailsOnceWithAMessageAndNoTag() {
        // What a registry without OCI artifact support answers (distribution < 2.7, old Docker Hub).
        REGISTRY.proxy().on("PUT", "/manifests/").always().respondJson(400,
                "{\"errors\":[{\"code\":\"MANIFEST_INVALID\",\"message\":\"manifest invalid\",\"detail\":\"unsupported media type\"}]}");

        var r = push("faults/old:v1");

        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.errLines()).filteredOn(l -> l.contains("error:")).singleElement().asString()
                .contains("application/vnd.oci.image.manifest.v1+json").contains("application/vnd.cncf.flux.config.v1+json");
        assertThat(r.err()).doesNotContain("\tat ").doesNotContain("unexpected");
        assertThat(REGISTRY.proxy().requests("PUT", "/manifests/")).as("a refusal is not retried").hasSize(1);
        assertThat(Artifacts.tagExists(REGISTRY.server().host() + "/faults/old:v1", null)).isFalse();
    }
}
