package dev.kastor.steps;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.testing.Eventually;
import dev.kastor.testing.kube.KubeStandIn;
import dev.kastor.testing.kube.ServerSideApplyStandIn;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kastor kube apply} against the Kubernetes API stand-in, whose server-side apply is a stand-in too
 * ({@link ServerSideApplyStandIn}: create or merge, managedFields, dry run; not SSA's field ownership). These tests
 * check the requests Kastor sends (content type, field manager, force, order, dry runs), the validation before any request,
 * and the whole success path: what is stored, a repeated apply, --dry-run, --inventory/--prune and --wait (the test
 * plays the Deployment controller). What only a real API server does is named where a test depends on it.
 */
class KubeApplyTest {
    @RegisterExtension
    static final KubeStandIn kube = KubeStandIn.start();

    @TempDir
    Path tmp;

    private Path kubeconfig;

    @BeforeEach
    void setUp() throws InterruptedException {
        kubeconfig = kube.writeKubeconfig(tmp.resolve("kubeconfig"), Map.of("bars/infra:prod", 42L));
        drain();
    }

    private List<RecordedRequest> drain() throws InterruptedException {
        return kube.takeRequests();
    }

    private KastorRun.Result apply(String... args) {
        var all = new ArrayList<String>(List.of("kube", "apply"));
        all.addAll(List.of(args));
        return KastorRun.in(tmp).env("KUBECONFIG", kubeconfig.toString()).run(all.toArray(String[]::new));
    }

    @Test
    void everyBadDocumentIsReportedWithFileIndexAndReasonAndNothingIsSent() throws Exception {
        Path dir = Artifacts.write(tmp.resolve("bad"), Map.of(
                "a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n---\napiVersion: v1\nmetadata:\n  name: nokind\n",
                "b.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: [unclosed\n",
                "c.yaml", "apiVersion: example.com/v1\nkind: Frobnicator\nmetadata:\n  name: f\n",
                "d/e.yaml", "- just\n- a list\n"));

        var r = apply(dir.toString());

        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("4 invalid manifests, nothing applied",
                "a.yaml document 2: missing kind",
                "b.yaml document 1: invalid YAML",
                "c.yaml document 1: unknown resource: the cluster serves no kind Frobnicator in example.com/v1",
                "e.yaml document 1: not a Kubernetes object");
        assertThat(drain()).noneMatch(q -> q.getMethod().equals("PATCH") || q.getMethod().equals("POST") || q.getMethod().equals("PUT"));
    }

    @Test
    void stdinThatIsNotUtf8IsRefusedWithItsByteOffsetAndNothingIsSent() throws Exception {
        byte[] latin1 = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf\u00e9\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);

        var r = KastorRun.in(tmp).env("KUBECONFIG", kubeconfig.toString()).stdin(latin1).run("kube", "apply", "-");

        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("stdin: not UTF-8: byte 0xE9 at byte offset 52 (line 4)").doesNotContain("\tat ");
        assertThat(drain()).noneMatch(q -> q.getMethod().equals("PATCH") || q.getMethod().equals("POST") || q.getMethod().equals("PUT"));
    }

    @Test
    void theFilesOfAPulledArtifactAreHeldToTheSameSizeLimits() throws Exception {
        // The default limit (8 MiB per document): the check happens before parsing, so the test stays fast.
        String big = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  k: " + "x".repeat(9 * 1024 * 1024) + "\n";
        Path dir = Artifacts.write(tmp.resolve("big"), Map.of("a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n", "big.yaml", big));
        var pushed = KastorRun.in(tmp).run("artifact", "push", dir.toString(), "oci-layout:layout:v1");
        assertThat(pushed.exit()).as(pushed.toString()).isZero();

        var r = apply("oci-layout:layout:v1");

        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("big.yaml document 1 (line 1, byte offset 0): " + big.length() + " bytes, over the limit of 8 MiB per document");
        assertThat(drain()).noneMatch(q -> q.getMethod().equals("PATCH") || q.getMethod().equals("POST") || q.getMethod().equals("PUT"));
    }

    @Test
    void appliesServerSideWithFieldManagerKastorWithoutForcingCrdsFirst() throws Exception {
        // Input order puts the CRD last; it must be sent first, and the Widget it defines is applied after it.
        Path dir = Artifacts.write(tmp.resolve("ok"), Map.of(
                "1-app.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  labels: {tier: web}\ndata:\n  k: v\n",
                "2-ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n",
                "3-crd.yaml", "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n"
                        + "  group: example.com\n  scope: Namespaced\n  names: {kind: Widget, plural: widgets}\n  versions:\n  - {name: v1, served: true, storage: true}\n",
                "4-widget.yaml", "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  size: 3\n"));
        int before = kube.serverSideApplies().size();

        var r = apply(dir.toString(), "-n", "shop");

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("applied 4 objects via bars/infra:prod");
        var patches = drain().stream().filter(q -> q.getMethod().equals("PATCH")).toList();
        assertThat(patches).extracting(RecordedRequest::getPath).extracting(p -> p.replaceAll("\\?.*", "")).containsExactly(
                "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com",
                "/api/v1/namespaces/shop",
                "/api/v1/namespaces/shop/configmaps/app",
                "/apis/example.com/v1/namespaces/shop/widgets/w");
        RecordedRequest first = patches.get(0);
        assertThat(first.getPath()).contains("fieldManager=kastor").doesNotContain("force=true");
        assertThat(first.getHeader("Content-Type")).startsWith("application/apply-patch+yaml");
        var applies = kube.serverSideApplies().subList(before, kube.serverSideApplies().size());
        assertThat(applies).allSatisfy(a -> {
            assertThat(a.fieldManager()).isEqualTo("kastor");
            assertThat(a.force()).isFalse();
            assertThat(a.dryRun()).isFalse();
        });
        assertThat(applies).extracting(ServerSideApplyStandIn.Applied::code).containsExactly(201, 201, 201, 201);
        // What the API server stores: the applied fields, identity set by the server, managedFields for kastor.
        var cm = kube.client().configMaps().inNamespace("shop").withName("app").get();
        assertThat(cm.getData()).containsExactly(Map.entry("k", "v"));
        assertThat(cm.getMetadata().getLabels()).containsEntry("tier", "web");
        assertThat(cm.getMetadata().getUid()).isNotBlank();
        assertThat(cm.getMetadata().getResourceVersion()).isNotBlank();
        assertThat(cm.getMetadata().getCreationTimestamp()).isNotBlank();
        var managed = cm.getMetadata().getManagedFields();
        assertThat(managed).hasSize(1);
        assertThat(managed.get(0).getManager()).isEqualTo("kastor");
        assertThat(managed.get(0).getOperation()).isEqualTo("Apply");
        assertThat(managed.get(0).getApiVersion()).isEqualTo("v1");
        assertThat(managed.get(0).getFieldsType()).isEqualTo("FieldsV1");
        assertThat(managed.get(0).getFieldsV1().getAdditionalProperties()).containsKeys("f:data", "f:metadata");
        assertThat(kube.client().namespaces().withName("shop").get()).isNotNull();
        assertThat(kube.client().apiextensions().v1().customResourceDefinitions().withName("widgets.example.com").get().getSpec().getNames().getKind())
                .isEqualTo("Widget");
        var widget = kube.client().genericKubernetesResources("example.com/v1", "Widget").inNamespace("shop").withName("w").get();
        assertThat(widget.<Object>get("spec", "size")).isEqualTo(3);
        assertThat(widget.getMetadata().getGeneration()).isEqualTo(1L);
    }

    @Test
    void theFirstRefusedApplyStopsTheRunAndNamesObjectFileAndContext() throws Exception {
        // The stand-in refuses, as the API server does, a kind it does not serve: no CRD was ever applied for Gadget.
        Path dir = Artifacts.write(tmp.resolve("refused"), Map.of(
                "crd.yaml", "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: gadgets.example.com\nspec:\n"
                        + "  group: example.com\n  scope: Namespaced\n  names: {kind: Gadget, plural: gadgets}\n  versions:\n  - {name: v1, served: false, storage: true}\n",
                "gadget.yaml", "apiVersion: example.com/v1\nkind: Gadget\nmetadata:\n  name: g\n"));

        var r = apply(dir.toString(), "-n", "refused");

        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("server-side apply of Gadget refused/g (gadget.yaml document 1) via bars/infra:prod failed: 404");
    }

    @Test
    void dryRunIsAskedOfTheServer() throws Exception {
        Path file = Artifacts.write(tmp.resolve("one"), Map.of("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n")).resolve("cm.yaml");

        apply(file.toString(), "--dry-run", "-n", "shop");

        var patches = drain().stream().filter(q -> q.getMethod().equals("PATCH")).toList();
        // Two when an earlier test left the object: the conflict check before the apply is a dry run too.
        assertThat(patches).isNotEmpty().allSatisfy(q -> assertThat(q.getPath()).startsWith("/api/v1/namespaces/shop/configmaps/app?").contains("dryRun=All"));
    }

    @Test
    void dryRunAnswersWhatWouldBeAppliedAndStoresNothing() throws Exception {
        Path dir = Artifacts.write(tmp.resolve("dry"), Map.of("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  k: v1\n"));
        var live = apply(dir.toString(), "-n", "dry", "--inventory", "dry-app", "--inventory-namespace", "dry");
        assertThat(live.exit()).as(live.toString()).isZero();
        String version = kube.client().configMaps().inNamespace("dry").withName("web").get().getMetadata().getResourceVersion();
        Artifacts.write(dir, Map.of("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  k: v2\n",
                "new.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: added\n"));

        var r = apply(dir.toString(), "-n", "dry", "--dry-run", "--inventory", "dry-app", "--inventory-namespace", "dry");

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("dry run: would apply 2 objects");
        assertThat(r.err()).contains("would apply ConfigMap dry/web", "would apply ConfigMap dry/added");
        var web = kube.client().configMaps().inNamespace("dry").withName("web").get();
        assertThat(web.getData()).containsEntry("k", "v1");
        assertThat(web.getMetadata().getResourceVersion()).isEqualTo(version);
        assertThat(kube.client().configMaps().inNamespace("dry").withName("added").get()).isNull();
        // --dry-run writes no inventory either.
        assertThat(kube.client().configMaps().inNamespace("dry").withName("kastor-inventory-dry-app").get().getData().get("objects"))
                .contains("|dry|web").doesNotContain("added");
    }

    @Test
    void applyingTheSameInputTwiceChangesNothing() throws Exception {
        Path dir = Artifacts.write(tmp.resolve("twice"), Map.of(
                "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  k: v\n",
                "deploy.yaml", deployment("web", 2, "nginx:1.27")));
        var first = apply(dir.toString(), "-n", "twice", "--inventory", "twice");
        assertThat(first.exit()).as(first.toString()).isZero();
        var cm = kube.client().configMaps().inNamespace("twice").withName("app").get();
        var deploy = kube.client().apps().deployments().inNamespace("twice").withName("web").get();

        var second = apply(dir.toString(), "-n", "twice", "--inventory", "twice");

        assertThat(second.exit()).as(second.toString()).isZero();
        var cm2 = kube.client().configMaps().inNamespace("twice").withName("app").get();
        var deploy2 = kube.client().apps().deployments().inNamespace("twice").withName("web").get();
        // A no-op apply writes nothing: same resourceVersion, same generation, same managedFields time.
        assertThat(deploy2.getMetadata().getGeneration()).isEqualTo(1L);
        assertThat(deploy2.getMetadata().getResourceVersion()).isEqualTo(deploy.getMetadata().getResourceVersion());
        assertThat(deploy2.getMetadata().getManagedFields()).isEqualTo(deploy.getMetadata().getManagedFields());
        assertThat(cm2.getMetadata().getResourceVersion()).isEqualTo(cm.getMetadata().getResourceVersion());
        assertThat(kube.serverSideApplies()).filteredOn(a -> a.path().startsWith("/apis/apps/v1/namespaces/twice/") && !a.dryRun())
                .extracting(ServerSideApplyStandIn.Applied::code).containsExactly(201, 200);
    }

    @Test
    void aChangedSpecBumpsGenerationAndKeepsWhatOthersWrote() throws Exception {
        Path dir = Artifacts.write(tmp.resolve("change"), Map.of("deploy.yaml", deployment("web", 2, "nginx:1.27")));
        assertThat(apply(dir.toString(), "-n", "change").exit()).isZero();
        // Someone else labels it and the controller reports; a later apply must not take either away.
        var live = kube.client().apps().deployments().inNamespace("change").withName("web").get();
        live.getMetadata().getLabels().put("team", "shop");
        kube.client().apps().deployments().inNamespace("change").resource(live).update();
        live = kube.client().apps().deployments().inNamespace("change").withName("web").get();
        live.setStatus(new io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder().withObservedGeneration(1L).withReplicas(2).build());
        kube.client().apps().deployments().inNamespace("change").resource(live).updateStatus();
        Artifacts.write(dir, Map.of("deploy.yaml", deployment("web", 2, "nginx:1.28")));

        var r = apply(dir.toString(), "-n", "change");

        assertThat(r.exit()).as(r.toString()).isZero();
        var after = kube.client().apps().deployments().inNamespace("change").withName("web").get();
        assertThat(after.getMetadata().getGeneration()).isEqualTo(2L);
        assertThat(after.getSpec().getTemplate().getSpec().getContainers().get(0).getImage()).isEqualTo("nginx:1.28");
        assertThat(after.getMetadata().getLabels()).containsEntry("team", "shop").containsEntry("app", "web");
        assertThat(after.getStatus().getObservedGeneration()).isEqualTo(1L);
        // A real API server would also record the label edit as an Update by its own field manager; the stand-in
        // records Apply entries only.
        assertThat(after.getMetadata().getManagedFields()).extracting(f -> f.getManager() + "/" + f.getOperation()).containsExactly("kastor/Apply");
    }

    @Test
    void pruneRemovesWhatTheNextInputDroppedAndKeepsTheRest() throws Exception {
        Path dir = Artifacts.write(tmp.resolve("prune"), Map.of(
                "a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
                "b.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n"));
        var first = apply(dir.toString(), "-n", "pruning", "--inventory", "shop", "--prune", "--inventory-namespace", "pruning");
        assertThat(first.exit()).as(first.toString()).isZero();
        assertThat(kube.client().configMaps().inNamespace("pruning").withName("b").get().getMetadata().getAnnotations())
                .containsEntry("config.k8s.io/owning-inventory", "shop");
        java.nio.file.Files.delete(dir.resolve("b.yaml"));

        var second = apply(dir.toString(), "-n", "pruning", "--inventory", "shop", "--prune", "--inventory-namespace", "pruning");

        assertThat(second.exit()).as(second.toString()).isZero();
        assertThat(second.out()).contains("applied 1 objects, pruned 1");
        assertThat(second.err()).contains("pruned ConfigMap pruning/b");
        assertThat(kube.client().configMaps().inNamespace("pruning").withName("b").get()).isNull();
        assertThat(kube.client().configMaps().inNamespace("pruning").withName("a").get()).isNotNull();
        assertThat(kube.client().configMaps().inNamespace("pruning").withName("kastor-inventory-shop").get().getData().get("objects"))
                .contains("|pruning|a").doesNotContain("|pruning|b");
    }

    @Test
    void waitReturnsOnceTheDeploymentControllerReportsTheRollout() throws Exception {
        Path dir = Artifacts.write(tmp.resolve("wait"), Map.of("deploy.yaml", deployment("web", 2, "nginx:1.27")));
        var run = new java.util.concurrent.CompletableFuture<KastorRun.Result>();
        Thread t = new Thread(() -> {
            try {
                run.complete(apply(dir.toString(), "-n", "waiting", "--wait", "--timeout", "2m"));
            } catch (Throwable e) {
                run.completeExceptionally(e);
            }
        }, "kastor-under-test");
        t.setDaemon(true);
        t.start();

        // The stand-in has no Deployment controller: the test plays it once the apply has stored the Deployment.
        var deployments = kube.client().apps().deployments().inNamespace("waiting");
        Eventually.until(Duration.ofSeconds(60), () -> "the apply stored the Deployment", () -> {
            assertThat(run).as("kastor ended before the rollout").isNotDone();
            return deployments.withName("web").get() != null;
        });
        // the wait watches the Deployment and sees generation 1 unobserved before the controller answers
        Eventually.until(Duration.ofSeconds(60), () -> "kastor watches the Deployment", () -> {
            var q = kube.server().takeRequest(50, TimeUnit.MILLISECONDS);
            return q != null && q.getPath().contains("/namespaces/waiting/deployments") && q.getPath().contains("watch=true");
        });
        assertThat(run).isNotDone();
        var live = deployments.withName("web").get();
        live.setStatus(new io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder().withObservedGeneration(live.getMetadata().getGeneration())
                .withReplicas(2).withUpdatedReplicas(2).withReadyReplicas(2).withAvailableReplicas(2).build());
        deployments.resource(live).updateStatus();
        var r = run.get(2, TimeUnit.MINUTES);

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.err()).contains("Deployment waiting/web", "done", "2/2 updated, 2 available");
    }

    private static String deployment(String name, int replicas, String image) {
        return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name + "\n  labels: {app: " + name + "}\nspec:\n  replicas: " + replicas
                + "\n  selector:\n    matchLabels: {app: " + name + "}\n  template:\n    metadata:\n      labels: {app: " + name + "}\n"
                + "    spec:\n      containers:\n      - name: web\n        image: " + image + "\n";
    }

    @Test
    void kustomizationFilesAreSkippedWithAHintAndStdinIsRead() throws Exception {
        var r = KastorRun.in(tmp).env("KUBECONFIG", kubeconfig.toString())
                .stdin("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [a.yaml]\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")
                .run("kube", "apply", "-", "--dry-run");

        assertThat(r.err()).contains("skipped stdin document 1", "kustomize build");
        assertThat(drain().stream().filter(q -> q.getMethod().equals("PATCH")).toList()).hasSize(1);
    }

    @Test
    void pruneWithoutInventoryIsRefused() {
        var r = apply(tmp.toString(), "--prune");

        assertThat(r.exit()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).contains("--prune needs --inventory");
    }
}
