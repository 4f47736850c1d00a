package dev.kastor.testing.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The Kubernetes API stand-in itself, spoken to with real HTTP clients (the JDK HttpClient, kubectl, fabric8) over
 * verified TLS: its server-side apply answers as the API server documents (codes, Status bodies), stores through the
 * CRUD store so a watch sees every change, its certificate is all a client needs to trust it, and it serves Flux's
 * GitRepository to lists and informers.
 */
class KubeStandInTest {
    private static final String APPLY = "application/apply-patch+yaml";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static KubeStandIn kube;
    private static HttpClient http;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        kube = KubeStandIn.start();
        http = HttpClient.newBuilder().sslContext(kube.sslContext()).build();
    }

    @AfterAll
    static void stop() {
        if (http != null) http.close();
        if (kube != null) kube.close();
    }

    private static HttpResponse<String> send(String method, String pathAndQuery, String contentType, String body) throws IOException, InterruptedException {
        var b = HttpRequest.newBuilder(URI.create(kube.url() + pathAndQuery)).header("Authorization", "Bearer test");
        b = body == null ? b.method(method, HttpRequest.BodyPublishers.noBody())
                : b.header("Content-Type", contentType).method(method, HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> apply(String pathAndQuery, String yaml) throws IOException, InterruptedException {
        return send("PATCH", pathAndQuery, APPLY, yaml);
    }

    private static String configMap(String ns, String name, String value) {
        return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n  namespace: " + ns + "\ndata:\n  k: " + value + "\n";
    }

    @Test
    void applyCreatesWith201MergesWith200AndAWatchSeesEachRealChangeOnly() throws Exception {
        var events = new LinkedBlockingQueue<String>();
        Watch watch = kube.client().configMaps().inNamespace("w1").watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, ConfigMap cm) {
                events.add(action + " " + cm.getMetadata().getName() + " k=" + cm.getData().get("k"));
            }

            @Override
            public void onClose(WatcherException cause) {}
        });
        try {
            String path = "/api/v1/namespaces/w1/configmaps/app";

            var created = apply(path + "?fieldManager=tester", configMap("w1", "app", "one"));
            var changed = apply(path + "?fieldManager=tester&force=true", configMap("w1", "app", "two"));
            var same = apply(path + "?fieldManager=tester", configMap("w1", "app", "two"));

            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
            assertThat(changed.statusCode()).as(changed.body()).isEqualTo(200);
            assertThat(same.statusCode()).as(same.body()).isEqualTo(200);
            JsonNode c = JSON.readTree(changed.body());
            JsonNode s = JSON.readTree(same.body());
            assertThat(s.at("/metadata/resourceVersion").asString()).isEqualTo(c.at("/metadata/resourceVersion").asString());
            assertThat(c.at("/metadata/managedFields/0/manager").asString()).isEqualTo("tester");
            assertThat(c.at("/metadata/managedFields/0/operation").asString()).isEqualTo("Apply");
            assertThat(c.at("/metadata/managedFields/0/fieldsType").asString()).isEqualTo("FieldsV1");
            assertThat(c.at("/metadata/managedFields/0/fieldsV1/f:data/f:k").isObject()).isTrue();
            assertThat(c.at("/metadata/managedFields/0/time").asString()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
            assertThat(next(events)).isEqualTo("ADDED app k=one");
            assertThat(next(events)).isEqualTo("MODIFIED app k=two");
            assertThat(events.poll(500, TimeUnit.MILLISECONDS)).as("a no-op apply writes nothing").isNull();
            assertThat(kube.client().configMaps().inNamespace("w1").list().getItems()).extracting(cm -> cm.getData().get("k")).containsExactly("two");
            assertThat(kube.serverSideApplies()).filteredOn(a -> a.path().startsWith(path))
                    .extracting(a -> a.code() + " force=" + a.force()).containsExactly("201 force=false", "200 force=true", "200 force=false");
        } finally {
            watch.close();
        }
    }

    private static String next(LinkedBlockingQueue<String> events) throws InterruptedException {
        String e = events.poll(10, TimeUnit.SECONDS);
        assertThat(e).as("watch event").isNotNull();
        return e;
    }

    @Test
    void gitRepositoriesAreServedAtFluxSourceV1AndListedAcrossNamespaces() {
        kube.create(KubeStandIn.GIT_REPOSITORY, "g1", "app", Map.of("url", "https://gitlab.example.com/bars/app.git", "interval", "1m"));
        kube.create(KubeStandIn.GIT_REPOSITORY, "g2", "app", Map.of("url", "https://gitlab.example.com/bars/other.git", "interval", "1m"));

        var all = kube.client().genericKubernetesResources(KubeStandIn.GIT_REPOSITORY).inAnyNamespace().list().getItems();

        assertThat(all).extracting(o -> o.getApiVersion() + " " + o.getKind() + " " + o.getMetadata().getNamespace() + "/" + o.getMetadata().getName()
                + " " + o.get("spec", "url") + " generation " + o.getMetadata().getGeneration())
                .containsExactlyInAnyOrder("source.toolkit.fluxcd.io/v1 GitRepository g1/app https://gitlab.example.com/bars/app.git generation 1",
                        "source.toolkit.fluxcd.io/v1 GitRepository g2/app https://gitlab.example.com/bars/other.git generation 1");
    }

    /**
     * The GitRepository CRD is installed as Flux's (namespaced, served at v1, with a status subresource): what a client
     * checking for Flux finds, and what keeps status apart from spec. fabric8's mock stores objects at any path, CRD or
     * not, so without this test nothing would show the CRD missing.
     */
    @Test
    void theGitRepositoryCrdIsInstalledWithAStatusSubresourceSoAnUpdateKeepsTheStatus() {
        var crd = kube.client().apiextensions().v1().customResourceDefinitions().withName("gitrepositories.source.toolkit.fluxcd.io").get();
        assertThat(crd).as("the GitRepository CRD").isNotNull();
        assertThat(crd.getSpec().getScope() + " " + crd.getSpec().getNames().getKind() + " " + crd.getSpec().getVersions().get(0).getName())
                .isEqualTo("Namespaced GitRepository v1");

        kube.create(KubeStandIn.GIT_REPOSITORY, "g3", "app", Map.of("url", "https://gitlab.example.com/bars/app.git"));
        kube.writeStatus(KubeStandIn.GIT_REPOSITORY, "g3", "app", Map.of("artifact", Map.of("revision", "main@sha1:0123")));
        var o = kube.get(KubeStandIn.GIT_REPOSITORY, "g3", "app");
        o.getAdditionalProperties().remove("status");
        o.setAdditionalProperty("spec", Map.of("url", "https://gitlab.example.com/bars/moved.git"));
        kube.client().genericKubernetesResources(KubeStandIn.GIT_REPOSITORY).inNamespace("g3").resource(o).update();

        var now = kube.get(KubeStandIn.GIT_REPOSITORY, "g3", "app");
        assertThat(now.<Object>get("spec", "url")).isEqualTo("https://gitlab.example.com/bars/moved.git");
        assertThat(now.<Object>get("status", "artifact", "revision")).isEqualTo("main@sha1:0123");
    }

    /**
     * What the agent's Flux feature relies on: an informer on every namespace lists, then watches (over WebSocket: the
     * only watch the stand-in serves, see TESTING.md), and hears of an object added, changed and deleted.
     */
    @Test
    void anInformerOnGitRepositoriesInEveryNamespaceSeesAnAddAChangeAndADelete() throws Exception {
        var events = new LinkedBlockingQueue<String>();
        var git = kube.client().genericKubernetesResources(KubeStandIn.GIT_REPOSITORY);
        try (var informer = git.inAnyNamespace().inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(GenericKubernetesResource o) {
                events.add("add " + o.getMetadata().getNamespace() + "/" + o.getMetadata().getName() + " " + o.get("spec", "url"));
            }

            @Override
            public void onUpdate(GenericKubernetesResource old, GenericKubernetesResource o) {
                events.add("update " + o.getMetadata().getNamespace() + "/" + o.getMetadata().getName() + " " + o.get("spec", "url"));
            }

            @Override
            public void onDelete(GenericKubernetesResource o, boolean finalStateUnknown) {
                events.add("delete " + o.getMetadata().getNamespace() + "/" + o.getMetadata().getName() + " unknown=" + finalStateUnknown);
            }
        })) {
            kube.create(KubeStandIn.GIT_REPOSITORY, "i1", "app", Map.of("url", "https://gitlab.example.com/bars/app.git", "interval", "1m"));
            assertThat(next(events)).isEqualTo("add i1/app https://gitlab.example.com/bars/app.git");

            var o = kube.get(KubeStandIn.GIT_REPOSITORY, "i1", "app");
            o.setAdditionalProperty("spec", Map.of("url", "https://gitlab.example.com/bars/moved.git", "interval", "1m"));
            git.inNamespace("i1").resource(o).update();
            assertThat(next(events)).isEqualTo("update i1/app https://gitlab.example.com/bars/moved.git");

            git.inNamespace("i1").withName("app").delete();
            assertThat(next(events)).isEqualTo("delete i1/app unknown=false");
            assertThat(informer.isWatching()).isTrue();
        }
        assertThat(watchRequests("/apis/source.toolkit.fluxcd.io/v1/gitrepositories?")).as("the informer's watch")
                .isNotEmpty().allSatisfy(w -> assertThat(w.getHeader("Upgrade")).isEqualToIgnoringCase("websocket"));
    }

    /** The watch requests on {@code pathPrefix} in the stand-in's request log (which this drains). */
    private static List<RecordedRequest> watchRequests(String pathPrefix) throws InterruptedException {
        var watches = new ArrayList<RecordedRequest>();
        for (RecordedRequest r; (r = kube.server().takeRequest(1, TimeUnit.MILLISECONDS)) != null; ) {
            if (r.getPath().startsWith(pathPrefix) && r.getPath().contains("watch=true")) watches.add(r);
        }
        return watches;
    }

    @Test
    void applyWithoutAFieldManagerIsRefusedWith422AsTheApiServerDoes() throws Exception {
        var r = apply("/api/v1/namespaces/w2/configmaps/app", configMap("w2", "app", "v"));

        assertThat(r.statusCode()).isEqualTo(422);
        JsonNode status = JSON.readTree(r.body());
        assertThat(status.get("kind").asString()).isEqualTo("Status");
        assertThat(status.get("reason").asString()).isEqualTo("Invalid");
        assertThat(status.get("message").asString()).isEqualTo("PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch");
        assertThat(kube.client().configMaps().inNamespace("w2").withName("app").get()).isNull();
    }

    @Test
    void aBodyThatDisagreesWithItsPathIsRefusedWith400AndNothingIsStored() throws Exception {
        String path = "/api/v1/namespaces/w3/configmaps/app?fieldManager=tester";
        var answers = new ArrayList<String>();
        for (String body : List.of(
                configMap("w3", "other", "v"),
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\n",
                "apiVersion: apps/v1\nkind: ConfigMap\nmetadata:\n  name: app\n",
                configMap("elsewhere", "app", "v"),
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  managedFields: [{manager: x}]\n",
                "- not\n- an object\n")) {
            var r = apply(path, body);
            answers.add(r.statusCode() + " " + JSON.readTree(r.body()).get("message").asString());
        }

        assertThat(answers).containsExactly(
                "400 the name of the object (other) does not match the name on the URL (app)",
                "400 the kind in the apply patch (Secret) does not match the kind served at /api/v1/namespaces/w3/configmaps/app (ConfigMap)",
                "400 Incorrect version specified in apply patch. Specified patch version: apps/v1, expected: v1",
                "400 the namespace of the object (elsewhere) does not match the namespace on the URL (w3)",
                "400 metadata.managedFields must be nil",
                "400 error decoding YAML: the apply patch is not an object");
        assertThat(kube.client().configMaps().inNamespace("w3").list().getItems()).isEmpty();
    }

    @Test
    void aStaleResourceVersionIsAConflictAndAnUnknownKindIsNotFound() throws Exception {
        String path = "/api/v1/namespaces/w4/configmaps/app?fieldManager=tester";
        assertThat(apply(path, configMap("w4", "app", "v")).statusCode()).isEqualTo(201);

        var stale = apply(path, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  resourceVersion: \"1\"\n");
        var unknown = apply("/apis/example.com/v1/namespaces/w4/gizmos/g?fieldManager=tester", "apiVersion: example.com/v1\nkind: Gizmo\nmetadata:\n  name: g\n");

        assertThat(stale.statusCode()).as(stale.body()).isEqualTo(409);
        assertThat(unknown.statusCode()).as(unknown.body()).isEqualTo(404);
    }

    @Test
    void aFieldAnotherApplyManagerOwnsIsAConflictPerFieldUnlessForced() throws Exception {
        String cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  key: %s\n  other: %s\n";
        assertThat(apply("/api/v1/namespaces/w7/configmaps/app?fieldManager=B", cm.formatted("b", "same")).statusCode()).isEqualTo(201);
        String version = kube.client().configMaps().inNamespace("w7").withName("app").get().getMetadata().getResourceVersion();

        // .data.other is applied with the value it has: shared, no conflict. .data.key would change: B's.
        var refused = apply("/api/v1/namespaces/w7/configmaps/app?fieldManager=A", cm.formatted("a", "same"));
        var refusedDryRun = apply("/api/v1/namespaces/w7/configmaps/app?fieldManager=A&dryRun=All", cm.formatted("a", "same"));

        for (var r : List.of(refused, refusedDryRun)) {
            assertThat(r.statusCode()).as(r.body()).isEqualTo(409);
            JsonNode status = JSON.readTree(r.body());
            assertThat(status.get("reason").asString()).isEqualTo("Conflict");
            assertThat(status.get("message").asString()).isEqualTo("Apply failed with 1 conflict: conflict with \"B\": .data.key");
            assertThat(status.at("/details/causes")).hasSize(1);
            assertThat(status.at("/details/causes/0/reason").asString()).isEqualTo("FieldManagerConflict");
            assertThat(status.at("/details/causes/0/message").asString()).isEqualTo("conflict with \"B\"");
            assertThat(status.at("/details/causes/0/field").asString()).isEqualTo(".data.key");
        }
        assertThat(kube.client().configMaps().inNamespace("w7").withName("app").get().getMetadata().getResourceVersion()).isEqualTo(version);

        var forced = apply("/api/v1/namespaces/w7/configmaps/app?fieldManager=A&force=true", cm.formatted("a", "same"));

        assertThat(forced.statusCode()).as(forced.body()).isEqualTo(200);
        var live = kube.client().configMaps().inNamespace("w7").withName("app").get();
        assertThat(live.getData()).containsEntry("key", "a");
        var fields = new java.util.HashMap<String, Map<String, Object>>();
        live.getMetadata().getManagedFields().forEach(f -> fields.put(f.getManager(), f.getFieldsV1().getAdditionalProperties()));
        // Forcing moves the field: B keeps only what it still shares.
        assertThat(fields.get("A")).extracting(m -> m.get("f:data")).isEqualTo(Map.of("f:key", Map.of(), "f:other", Map.of()));
        assertThat(fields.get("B")).extracting(m -> m.get("f:data")).isEqualTo(Map.of("f:other", Map.of()));
        // B now changing its old field conflicts with A, listing each field when there are several.
        var back = apply("/api/v1/namespaces/w7/configmaps/app?fieldManager=B", cm.formatted("b", "changed").replace("name: app", "name: app\n  labels: {x: y}"));
        assertThat(back.statusCode()).as(back.body()).isEqualTo(409);
        assertThat(JSON.readTree(back.body()).get("message").asString()).isEqualTo("Apply failed with 2 conflicts: conflicts with \"A\":\n- .data.key\n- .data.other");
    }

    @Test
    void dryRunAnswersTheCreatedObjectAndStoresNothing() throws Exception {
        var r = apply("/apis/apps/v1/namespaces/w5/deployments/web?fieldManager=tester&dryRun=All",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n");

        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        JsonNode o = JSON.readTree(r.body());
        assertThat(o.at("/metadata/uid").asString()).isNotBlank();
        assertThat(o.at("/metadata/generation").asLong()).isEqualTo(1);
        assertThat(o.at("/metadata/namespace").asString()).isEqualTo("w5");
        assertThat(o.at("/metadata/managedFields/0/manager").asString()).isEqualTo("tester");
        assertThat(kube.client().apps().deployments().inNamespace("w5").withName("web").get()).isNull();
    }

    @Test
    void aClientGivenTheCertificateVerifiesTheStandInAndOneWithoutItRefusesIt() throws Exception {
        kube.client().configMaps().inNamespace("w6").resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
                .withNewMetadata().withName("app").endMetadata().addToData("k", "trusted").build()).create();
        var get = HttpRequest.newBuilder(URI.create(kube.url() + "/api/v1/namespaces/w6/configmaps/app")).build();
        assertThat(JSON.readTree(http.send(get, HttpResponse.BodyHandlers.ofString()).body()).at("/data/k").asString()).isEqualTo("trusted");
        try (var untrusting = HttpClient.newHttpClient()) {
            assertThatThrownBy(() -> untrusting.send(get, HttpResponse.BodyHandlers.ofString())).isInstanceOf(SSLHandshakeException.class);
        }
        assertThat(kube.certificatePem()).startsWith("-----BEGIN CERTIFICATE-----");

        // kubectl (Go's TLS stack) with the certificate as certificate-authority-data: verified, not skipped.
        Path kubeconfig = kube.writeDirectKubeconfig(tmp.resolve("agent-kubeconfig"), "agent-sa-token");
        var pb = new ProcessBuilder("kubectl", "--kubeconfig", kubeconfig.toString(), "get", "--raw", "/api/v1/namespaces/w6/configmaps/app");
        pb.environment().put("HOME", tmp.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(err).isZero();
        assertThat(JSON.readTree(out).at("/data/k").asString()).isEqualTo("trusted");
    }
}
