package dev.kastor.bridge.flux.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.Bridge;
import dev.kastor.bridge.agents.Hashes;
import dev.kastor.bridge.flux.rpc.FluxEvent;
import dev.kastor.bridge.flux.rpc.GitPush;
import dev.kastor.bridge.flux.rpc.OciPush;
import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.testing.Programs;
import dev.kastor.testing.RegistryServer;
import dev.kastor.testing.Skopeo;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real CNCF distribution registry sends its notifications to KAS: a manifest pushed by skopeo reaches the agents as an
 * OciPush, named by the registry host of KAS's config (the registry itself sits on 127.0.0.1 and says nothing of it).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RegistryNotificationsTest {
    static final String TOKEN = "registry-notifications-token-1";
    static final String OTHER_TOKEN = "registry-notifications-token-2";
    static final String SECRET = "flux-webhook-secret-9";

    @TempDir
    static Path dir;
    static Bridge bridge;
    static RegistryServer registry;
    static URI api;

    @BeforeAll
    static void start() throws Exception {
        var flux = new KasConfig.Flux(Files.writeString(dir.resolve("hook-secret"), SECRET).toString(), "off", null, List.of(
                new KasConfig.Registry("registry.example.com", Files.writeString(dir.resolve("token-1"), TOKEN + "\n").toString()),
                new KasConfig.Registry("other.example.com:5000", Files.writeString(dir.resolve("token-2"), OTHER_TOKEN).toString())));
        bridge = Bridge.withFlux(Files.createDirectories(dir.resolve("kas")), flux, null, null, null);
        api = bridge.apiUrl();
        registry = RegistryServer.builder().notifications(api.resolve(FluxServerDefaults.REGISTRY_EVENTS_PATH).toString(), "Bearer " + TOKEN).start();
    }

    @AfterAll
    static void stop() {
        Programs.closeAll(registry, bridge);
    }

    WatchClient watch(String name) throws InterruptedException {
        var agent = new WatchClient(bridge.kas.agentPort(), bridge.register("group/agents", name).token());
        agent.next(); // the Instance
        return agent;
    }

    static FluxEvent ociPush(String registry, String repository, String digest, String tag) {
        return FluxEvent.newBuilder().setOciPush(OciPush.newBuilder().setRegistry(registry).setRepository(repository).setDigest(digest).setTag(tag))
                .build();
    }

    @Test
    void manifestPushedBySkopeoReachesTheWatchAsOciPushAndBlobPushesDoNot() throws Exception {
        try (var agent = watch("skopeo")) {
            String first = pushImage("first", "group/app-manifests", "v1");
            String second = pushImage("second", "group/app-manifests", "v2");

            // The blobs of the second push travel between the two manifests: the next event after the first is the second.
            assertThat(agent.next()).as(registry.logTail()).isEqualTo(ociPush("registry.example.com", "group/app-manifests", first, "v1"));
            assertThat(agent.next()).isEqualTo(ociPush("registry.example.com", "group/app-manifests", second, "v2"));
        }
    }

    @Test
    void wrongTokenIs401MalformedBodyIs400AndNothingArrives() throws Exception {
        try (var agent = watch("refused")) {
            String envelope = envelope("push", "application/vnd.oci.image.manifest.v1+json", "group/refused", "sha256:" + "a".repeat(64));

            assertThat(events(envelope, "Bearer wrong").statusCode()).isEqualTo(401);
            assertThat(events(envelope, null).statusCode()).isEqualTo(401);
            assertThat(events(envelope, TOKEN).statusCode()).as("the token without 'Bearer '").isEqualTo(401);
            assertThat(events("{\"events\": ", "Bearer " + TOKEN).statusCode()).isEqualTo(400);
            assertThat(events("{\"events\": {}}", "Bearer " + TOKEN).statusCode()).isEqualTo(400);
            assertThat(events("[]", "Bearer " + TOKEN).statusCode()).isEqualTo(400);
            assertThat(events(envelope("pull", "application/vnd.oci.image.manifest.v1+json", "group/pulled", "sha256:" + "b".repeat(64)),
                    "Bearer " + TOKEN).statusCode()).isEqualTo(200);
            assertThat(events(envelope("push", "application/vnd.oci.image.layer.v1.tar+gzip", "group/blob", "sha256:" + "c".repeat(64)),
                    "Bearer " + TOKEN).statusCode()).isEqualTo(200);

            assertThat(Posts.pushHook(api, SECRET, "Push Hook", "group/marker").statusCode()).isEqualTo(202);
            assertThat(agent.next()).as("the first event after the refused and ignored ones")
                    .isEqualTo(FluxEvent.newBuilder().setGitPush(GitPush.newBuilder().setProject("group/marker")).build());
            assertThat(bridge.logText()).doesNotContain(TOKEN).doesNotContain(OTHER_TOKEN);
        }
    }

    @Test
    void theTokenNamesTheRegistryNotTheEvent() throws Exception {
        try (var agent = watch("other")) {
            String digest = "sha256:" + "d".repeat(64);

            var r = events(envelope("push", "application/vnd.docker.distribution.manifest.v2+json", "team/app", digest), "Bearer " + OTHER_TOKEN);

            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(agent.next()).isEqualTo(ociPush("other.example.com:5000", "team/app", digest, "latest"));
        }
    }

    static HttpResponse<String> events(String body, String authorization) throws Exception {
        return Posts.post(api, FluxServerDefaults.REGISTRY_EVENTS_PATH, body, "Authorization", authorization,
                "Content-Type", "application/vnd.docker.distribution.events.v1+json");
    }

    /** One event as the registry sends it, {@code request.host} naming a host KAS must not believe. */
    static String envelope(String action, String mediaType, String repository, String digest) {
        return """
                {"events":[{"id":"e1","timestamp":"2024-01-01T00:00:00Z","action":"%s",
                  "target":{"mediaType":"%s","size":100,"digest":"%s","length":100,"repository":"%s","url":"http://evil.example/v2/x","tag":"latest"},
                  "request":{"id":"r1","addr":"127.0.0.1:1","host":"evil.example","method":"PUT","useragent":"test"},
                  "actor":{},"source":{"addr":"x:5000","instanceID":"i"}}]}
                """.formatted(action, mediaType, digest, repository);
    }

    /**
     * Pushes a small image (distinct by {@code marker}) with skopeo from an OCI layout; returns the digest of the manifest
     * the registry holds (skopeo compresses the layer on the way, so it is not the layout's).
     */
    static String pushImage(String marker, String repository, String tag) throws Exception {
        Path layout = Files.createDirectories(dir.resolve("layout-" + marker));
        byte[] layer = new byte[1024]; // an empty tar: two zero blocks
        String layerDigest = blob(layout, layer);
        byte[] config = """
                {"architecture":"amd64","os":"linux","config":{"Labels":{"marker":"%s"}},"rootfs":{"type":"layers","diff_ids":["%s"]}}"""
                .formatted(marker, layerDigest).getBytes(StandardCharsets.UTF_8);
        byte[] manifest = """
                {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",\
                "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},\
                "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%d}]}"""
                .formatted(blob(layout, config), config.length, layerDigest, layer.length).getBytes(StandardCharsets.UTF_8);
        String digest = blob(layout, manifest);
        Files.writeString(layout.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        Files.writeString(layout.resolve("index.json"), """
                {"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%d,\
                "annotations":{"org.opencontainers.image.ref.name":"%s"}}]}""".formatted(digest, manifest.length, tag));
        Skopeo.copyFromOciLayout(layout, tag, registry.host() + "/" + repository + ":" + tag);
        var head = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(registry.url() + "/v2/" + repository + "/manifests/" + tag))
                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                .header("Accept", "application/vnd.oci.image.manifest.v1+json").build(), HttpResponse.BodyHandlers.discarding());
        return head.headers().firstValue("Docker-Content-Digest").orElseThrow();
    }

    private static String blob(Path layout, byte[] content) throws Exception {
        String hex = Hashes.sha256(content);
        Files.write(Files.createDirectories(layout.resolve("blobs/sha256")).resolve(hex), content);
        return "sha256:" + hex;
    }
}
