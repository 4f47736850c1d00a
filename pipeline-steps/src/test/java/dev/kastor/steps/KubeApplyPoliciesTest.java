package dev.kastor.steps;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.testing.Eventually;
import dev.kastor.testing.kube.KubeStandIn;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kastor kube apply}'s GitLab-agent knobs against the Kubernetes API stand-in: the inventory policies, prune
 * propagation and timeout, depends-on order, field-manager conflicts (the stand-in models SSA's conflicts between
 * Apply managers) and the dry-run strategies. Every refusal is checked to write nothing: no POST, PUT, DELETE, and no
 * PATCH other than a server-side dry run. Each test uses its own namespace: the stand-in lives for the whole class.
 */
class KubeApplyPoliciesTest {
    @RegisterExtension
    static final KubeStandIn kube = KubeStandIn.start();

    @TempDir
    Path tmp;

    private List<RecordedRequest> requests() throws InterruptedException {
        return kube.takeRequests();
    }

    private static List<String> writes(List<RecordedRequest> requests) {
        return requests.stream().filter(q -> switch (q.getMethod()) {
            case "POST", "PUT" -> true;
            case "PATCH", "DELETE" -> !q.getPath().contains("dryRun=All");
            default -> false;
        }).map(q -> q.getMethod() + " " + q.getPath()).toList();
    }

    /** kastor kube apply ARGS with a kubeconfig for the stand-in, as GitLab would inject it. */
    private KastorRun kastor() {
        return KastorRun.in(tmp).env("KUBECONFIG", kube.writeKubeconfig(tmp.resolve("kubeconfig"), Map.of("bars/infra:prod", 42L)).toString());
    }

    private KastorRun.Result apply(String... args) {
        return kastor().run(concat(new String[] {"kube", "apply"}, args));
    }

    private static String configMap(String name, String annotations, String data) {
        return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + (annotations == null ? "" : "\n  annotations: " + annotations)
                + "\ndata:\n  key: " + data + "\n";
    }

    private void existing(String ns, String name, String owner) {
        var b = new ConfigMapBuilder().withNewMetadata().withName(name).withNamespace(ns).endMetadata().addToData("key", "old");
        if (owner != null) b.editMetadata().addToAnnotations("config.k8s.io/owning-inventory", owner).endMetadata();
        kube.client().configMaps().inNamespace(ns).resource(b.build()).create();
    }

    private String owner(String ns, String name) {
        var annotations = kube.client().configMaps().inNamespace(ns).withName(name).get().getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get("config.k8s.io/owning-inventory");
    }

    @Test
    void mustMatchRefusesObjectsOfAnotherInventoryOrOfNoneNamingTheOwnerAndAppliesNothing() throws Exception {
        existing("mm", "foreign", "other-app");
        existing("mm", "unowned", null);
        Path dir = Artifacts.write(tmp.resolve("in"), Map.of("a.yaml", configMap("fresh", null, "v"), "b.yaml", configMap("foreign", null, "v"),
                "c.yaml", configMap("unowned", null, "v")));
        requests();

        var r = apply(dir.toString(), "-n", "mm", "--inventory", "app");

        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("2 objects refused, nothing applied",
                "ConfigMap mm/foreign (b.yaml document 1) belongs to inventory other-app: --inventory-policy must_match does not take it",
                "ConfigMap mm/unowned (c.yaml document 1) belongs to no inventory: --inventory-policy must_match does not take it");
        assertThat(writes(requests())).isEmpty();
        assertThat(kube.client().configMaps().inNamespace("mm").withName("fresh").get()).isNull();
        assertThat(kube.client().configMaps().inNamespace("mm").withName("kastor-inventory-app").get()).isNull();
    }

    @Test
    void adoptIfNoInventoryTakesAnUnownedObjectButNotOneOfAnotherInventory() throws Exception {
        existing("adopt", "foreign", "other-app");
        existing("adopt", "unowned", null);
        Path dir = Artifacts.write(tmp.resolve("in"), Map.of("b.yaml", configMap("foreign", null, "v"), "c.yaml", configMap("unowned", null, "v")));
        requests();

        var refused = apply(dir.toString(), "-n", "adopt", "--inventory", "app", "--inventory-policy", "adopt_if_no_inventory");

        assertThat(refused.exit()).as(refused.toString()).isEqualTo(1);
        assertThat(refused.err()).contains("1 object refused, nothing applied", "ConfigMap adopt/foreign (b.yaml document 1) belongs to inventory other-app")
                .doesNotContain("adopt/unowned (");
        assertThat(writes(requests())).isEmpty();
        Files.delete(dir.resolve("b.yaml"));

        var adopted = apply(dir.toString(), "-n", "adopt", "--inventory", "app", "--inventory-policy", "adopt_if_no_inventory");

        assertThat(adopted.exit()).as(adopted.toString()).isZero();
        assertThat(owner("adopt", "unowned")).isEqualTo("app");
        assertThat(owner("adopt", "foreign")).isEqualTo("other-app");
    }

    @Test
    void adoptAllTakesObjectsOfAnotherInventoryAndOfNone() {
        existing("all", "foreign", "other-app");
        existing("all", "unowned", null);
        Path dir = Artifacts.write(tmp.resolve("in"), Map.of("b.yaml", configMap("foreign", null, "v"), "c.yaml", configMap("unowned", null, "v")));

        var r = kastor().env("KASTOR_INVENTORY_POLICY", "adopt_all").run("kube", "apply", dir.toString(), "-n", "all", "--inventory", "app");

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(owner("all", "foreign")).isEqualTo("app");
        assertThat(owner("all", "unowned")).isEqualTo("app");
    }

    @Test
    void anUnknownPolicyIsAUsageErrorNamingTheOptionAndItsChoicesAndNothingIsSent() throws Exception {
        Path dir = Artifacts.write(tmp.resolve("in"), Map.of("a.yaml", configMap("a", null, "v")));
        requests();

        var r = apply(dir.toString(), "-n", "bad", "--inventory", "app", "--inventory-policy", "take_all");
        var propagation = apply(dir.toString(), "-n", "bad", "--prune-propagation-policy", "cascade");
        var strategy = apply(dir.toString(), "-n", "bad", "--dry-run-strategy", "maybe");

        assertThat(r.exit()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).contains("--inventory-policy", "take_all", "must_match, adopt_if_no_inventory, adopt_all");
        assertThat(propagation.exit()).as(propagation.toString()).isEqualTo(2);
        assertThat(propagation.err()).contains("--prune-propagation-policy", "orphan, background, foreground");
        assertThat(strategy.exit()).as(strategy.toString()).isEqualTo(2);
        assertThat(strategy.err()).contains("--dry-run-strategy", "none, client, server");
        assertThat(requests()).isEmpty();
    }

    @Test
    void prunePropagatesAsAskedForegroundByDefault() throws Exception {
        var asked = new ArrayList<String>();
        for (String policy : List.of("", "orphan", "background", "foreground")) {
            String ns = "prop-" + (policy.isEmpty() ? "default" : policy);
            Path dir = Artifacts.write(tmp.resolve(ns), Map.of("a.yaml", configMap("a", null, "v"), "b.yaml", configMap("b", null, "v")));
            assertThat(apply(dir.toString(), "-n", ns, "--inventory", "app", "--inventory-namespace", ns).exit()).isZero();
            Files.delete(dir.resolve("b.yaml"));
            requests();

            var args = new ArrayList<>(List.of(dir.toString(), "-n", ns, "--inventory", "app", "--inventory-namespace", ns, "--prune"));
            if (!policy.isEmpty()) args.addAll(List.of("--prune-propagation-policy", policy));
            var r = apply(args.toArray(String[]::new));

            assertThat(r.exit()).as(r.toString()).isZero();
            var deletes = requests().stream().filter(q -> q.getMethod().equals("DELETE")).toList();
            assertThat(deletes).extracting(RecordedRequest::getPath).containsExactly("/api/v1/namespaces/" + ns + "/configmaps/b");
            asked.add(new String(deletes.get(0).getBody().getBytes(), StandardCharsets.UTF_8).replaceAll(".*\"propagationPolicy\":\"(\\w+)\".*", "$1"));
        }
        assertThat(asked).containsExactly("Foreground", "Orphan", "Background", "Foreground");
    }

    @Test
    void pruneWaitsUntilThePrunedObjectIsReallyGoneAndTimesOutNamingIt() throws Exception {
        Path dir = Artifacts.write(tmp.resolve("in"), Map.of("a.yaml", configMap("a", null, "v"), "b.yaml", configMap("held", null, "v")));
        assertThat(apply(dir.toString(), "-n", "gone", "--inventory", "app", "--inventory-namespace", "gone").exit()).isZero();
        // A finalizer keeps a deleted object until its controller removes it; the test plays that controller.
        kube.client().configMaps().inNamespace("gone").withName("held").edit(cm -> new ConfigMapBuilder(cm).editMetadata()
                .addToFinalizers("example.com/hold").endMetadata().build());
        Files.delete(dir.resolve("b.yaml"));
        String[] prune = {dir.toString(), "-n", "gone", "--inventory", "app", "--inventory-namespace", "gone", "--prune"};

        var timedOut = apply(concat(prune, "--prune-timeout", "1s"));

        assertThat(timedOut.exit()).as(timedOut.toString()).isEqualTo(4);
        assertThat(timedOut.err()).contains("timed out after 1s waiting for pruned objects to be gone: ConfigMap gone/held");

        var run = new CompletableFuture<KastorRun.Result>();
        Thread t = new Thread(() -> run.complete(apply(concat(prune, "--prune-timeout", "2m"))), "kastor-under-test");
        t.setDaemon(true);
        t.start();
        Eventually.until(Duration.ofSeconds(60), () -> "kastor deleted ConfigMap gone/held again", () -> {
            var q = kube.server().takeRequest(50, TimeUnit.MILLISECONDS);
            return q != null && q.getMethod().equals("DELETE") && q.getPath().endsWith("/gone/configmaps/held");
        });
        assertThat(run).isNotDone();
        kube.client().configMaps().inNamespace("gone").withName("held").edit(cm -> new ConfigMapBuilder(cm).editMetadata()
                .withFinalizers(List.of()).endMetadata().build());

        var r = run.get(2, TimeUnit.MINUTES);
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(kube.client().configMaps().inNamespace("gone").withName("held").get()).isNull();
    }

    private static String[] concat(String[] args, String... more) {
        var all = new ArrayList<>(List.of(args));
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    @Test
    void anObjectIsAppliedAfterWhatItsDependsOnAnnotationNames() throws Exception {
        Path dir = Artifacts.write(tmp.resolve("in"), Map.of(
                "1.yaml", configMap("app", "{config.kubernetes.io/depends-on: /namespaces/dep/ConfigMap/db}", "v"),
                "2.yaml", configMap("db", "{config.kubernetes.io/depends-on: 'apps/namespaces/dep/Deployment/elsewhere'}", "v"),
                "3.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: dep\n"));
        requests();

        var r = apply(dir.toString(), "-n", "dep");

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(requests().stream().filter(q -> q.getMethod().equals("PATCH")).map(q -> q.getPath().replaceAll("\\?.*", "")))
                .containsExactly("/api/v1/namespaces/dep", "/api/v1/namespaces/dep/configmaps/db", "/api/v1/namespaces/dep/configmaps/app");
    }

    @Test
    void aDependsOnCycleIsAnErrorListingItAndNothingIsApplied() throws Exception {
        Path dir = Artifacts.write(tmp.resolve("in"), Map.of(
                "0.yaml", configMap("free", null, "v"),
                "1.yaml", configMap("a", "{config.kubernetes.io/depends-on: /namespaces/cyc/ConfigMap/b}", "v"),
                "2.yaml", configMap("b", "{config.kubernetes.io/depends-on: '/namespaces/cyc/ConfigMap/c, /namespaces/cyc/ConfigMap/free'}", "v"),
                "3.yaml", configMap("c", "{config.kubernetes.io/depends-on: /namespaces/cyc/ConfigMap/a}", "v")));
        requests();

        var r = apply(dir.toString(), "-n", "cyc");

        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("depends-on cycle, nothing applied: ConfigMap cyc/a -> ConfigMap cyc/b -> ConfigMap cyc/c -> ConfigMap cyc/a");
        assertThat(writes(requests())).isEmpty();
    }

    @Test
    void aFieldAnotherManagerAppliedIsAConflictPerFieldUnlessForceConflicts() throws Exception {
        kube.client().configMaps().inNamespace("fm").resource(new ConfigMapBuilder().withNewMetadata().withName("app").withNamespace("fm").endMetadata()
                .addToData("key", "helm's").addToData("same", "s").build()).fieldManager("helm").serverSideApply();
        Path dir = Artifacts.write(tmp.resolve("in"), Map.of("a.yaml", configMap("fresh", null, "v"),
                "b.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  key: ours\n  same: s\n"));
        requests();

        var refused = apply(dir.toString(), "-n", "fm");

        assertThat(refused.exit()).as(refused.toString()).isEqualTo(1);
        assertThat(refused.err()).contains("1 object refused, nothing applied", "ConfigMap fm/app field .data.key: conflict with \"helm\" (--force-conflicts takes it)")
                .doesNotContain(".data.same");
        assertThat(writes(requests())).isEmpty();
        assertThat(kube.client().configMaps().inNamespace("fm").withName("fresh").get()).isNull();
        assertThat(kube.client().configMaps().inNamespace("fm").withName("app").get().getData()).containsEntry("key", "helm's");

        var forced = apply(dir.toString(), "-n", "fm", "--force-conflicts");

        assertThat(forced.exit()).as(forced.toString()).isZero();
        assertThat(requests()).filteredOn(q -> q.getMethod().equals("PATCH")).allSatisfy(q -> assertThat(q.getPath()).contains("force=true"));
        assertThat(kube.client().configMaps().inNamespace("fm").withName("app").get().getData()).containsEntry("key", "ours");
    }

    @Test
    void dryRunStrategiesSendNoWrite() throws Exception {
        Path dir = Artifacts.write(tmp.resolve("in"), Map.of("a.yaml", configMap("a", null, "v1"), "b.yaml", configMap("b", null, "v1")));
        assertThat(apply(dir.toString(), "-n", "dry", "--inventory", "app", "--inventory-namespace", "dry").exit()).isZero();
        String before = kube.client().configMaps().inNamespace("dry").withName("a").get().getMetadata().getResourceVersion();
        Files.delete(dir.resolve("b.yaml"));
        Artifacts.write(dir, Map.of("a.yaml", configMap("a", null, "v2"), "c.yaml", configMap("c", null, "v2")));
        requests();
        String[] args = {dir.toString(), "-n", "dry", "--inventory", "app", "--inventory-namespace", "dry", "--prune"};

        var client = apply(concat(args, "--dry-run-strategy", "client"));
        var clientRequests = requests();
        var server = apply(concat(args, "--dry-run-strategy", "server"));
        var serverRequests = requests();

        assertThat(client.exit()).as(client.toString()).isZero();
        assertThat(client.out()).contains("dry run: would apply 2 objects, would prune 1");
        assertThat(clientRequests).extracting(RecordedRequest::getMethod).containsOnly("GET");
        assertThat(server.exit()).as(server.toString()).isZero();
        assertThat(server.out()).contains("dry run: would apply 2 objects, would prune 1");
        assertThat(writes(serverRequests)).isEmpty();
        assertThat(serverRequests).filteredOn(q -> q.getMethod().equals("PATCH")).isNotEmpty();
        assertThat(serverRequests).filteredOn(q -> q.getMethod().equals("DELETE")).extracting(RecordedRequest::getPath)
                .as("the server's dry run of the prune: admission sees the deletion, nothing is deleted")
                .singleElement().asString().contains("/namespaces/dry/configmaps/b", "dryRun=All");
        assertThat(kube.client().configMaps().inNamespace("dry").withName("a").get().getMetadata().getResourceVersion()).isEqualTo(before);
        assertThat(kube.client().configMaps().inNamespace("dry").withName("b").get()).isNotNull();
        assertThat(kube.client().configMaps().inNamespace("dry").withName("c").get()).isNull();
    }
}
