package dev.kastor.steps;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.mockwebserver.http.RecordedRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kastor kube apply} against the Kubernetes API stand-in, whose server-side apply is a stand-in too
 * ({@link ServerSideApplyStandIn}: create or merge, managedFields, dry run; not SSA's field ownership). These tests
 * check the requests Kastor sends (content type, field manager, force, order), the validation before any request,
 * and the success path: what is stored. What only a real API server does is named where a test depends on it.
 */
class KubeApplyTest {
    private static KubeStandIn kube;

    @TempDir
    Path tmp;

    private Path kubeconfig;

    @BeforeAll
    static void start() {
        kube = KubeStandIn.start();
    }

    @AfterAll
    static void stop() {
        if (kube != null) kube.close();
    }

    @BeforeEach
    void setUp() throws InterruptedException {
        kubeconfig = kube.writeKubeconfig(tmp.resolve("kubeconfig"), Map.of("bars/infra:prod", 42L));
        drain();
    }

    private List<RecordedRequest> drain() throws InterruptedException {
        var out = new ArrayList<RecordedRequest>();
        RecordedRequest r;
        while ((r = kube.server().takeRequest(50, TimeUnit.MILLISECONDS)) != null) out.add(r);
        return out;
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
    void appliesServerSideWithFieldManagerKastorAndForceConflictsCrdsFirst() throws Exception {
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
        assertThat(first.getPath()).contains("fieldManager=kastor").contains("force=true");
        assertThat(first.getHeader("Content-Type")).startsWith("application/apply-patch+yaml");
        var applies = kube.serverSideApplies().subList(before, kube.serverSideApplies().size());
        assertThat(applies).allSatisfy(a -> {
            assertThat(a.fieldManager()).isEqualTo("kastor");
            assertThat(a.force()).isTrue();
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
        assertThat(patches).hasSize(1);
        assertThat(patches.get(0).getPath()).startsWith("/api/v1/namespaces/shop/configmaps/app?").contains("dryRun=All");
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

        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("--prune needs --inventory");
    }
}
