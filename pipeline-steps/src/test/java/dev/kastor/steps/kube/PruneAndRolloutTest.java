package dev.kastor.steps.kube;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.testing.kube.KubeStandIn;
import dev.kastor.steps.cli.Console;
import dev.kastor.steps.cli.Context;
import dev.kastor.steps.k8s.AgentFlags;
import dev.kastor.steps.k8s.KubeConnection;
import dev.kastor.testing.Eventually;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Prune and rollout wait on their own, against the Kubernetes stand-in (the whole {@code kastor kube apply --prune
 * --wait} is in KubeApplyTest). The objects are created by the test as an earlier apply would have left them, so
 * each case can set up states an apply would not make (an object adopted by another inventory, one never listed);
 * the stand-in has no controllers, so the test writes the Deployment status a controller would.
 */
class PruneAndRolloutTest {
    @RegisterExtension
    static final KubeStandIn kube = KubeStandIn.start();

    @TempDir
    Path tmp;

    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private KubeConnection connect() {
        Path kc = kube.writeKubeconfig(tmp.resolve("kubeconfig"), Map.of("bars/infra:prod", 42L));
        var ctx = new Context(Map.of("KUBECONFIG", kc.toString()), new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8), new ByteArrayInputStream(new byte[0]), tmp, tmp);
        return new AgentFlags().connect(ctx, new Console(ctx, false));
    }

    private void configMap(String ns, String name, String owner) {
        var b = new ConfigMapBuilder().withNewMetadata().withName(name).withNamespace(ns).endMetadata();
        if (owner != null) b.editMetadata().addToAnnotations(Inventory.OWNER_ANNOTATION, owner).endMetadata();
        kube.client().configMaps().inNamespace(ns).resource(b.build()).create();
    }

    private static Inventory.Entry entry(String ns, String name) {
        return new Inventory.Entry("", "v1", "ConfigMap", "configmaps", true, ns, name);
    }

    @Test
    void prunesOnlyWhatThePreviousInventoryListedAndStillCarriesItsAnnotation() throws InterruptedException {
        configMap("p1", "kept", "app");
        configMap("p1", "dropped", "app");
        configMap("p1", "adopted", "other-app");
        configMap("p1", "unlisted", "app");
        try (KubeConnection conn = connect()) {
            var inventory = new Inventory(conn, "app", "p1");
            inventory.save(Set.of(entry("p1", "kept"), entry("p1", "dropped"), entry("p1", "adopted")));
            var previous = inventory.load();

            var pruned = new Applier(conn, new Console(new Context(Map.of(), System.out, new PrintStream(err), System.in, tmp, tmp), false))
                    .prune(previous, Set.of(entry("p1", "kept")), inventory, new ApplyPolicies());

            assertThat(pruned).containsExactly(entry("p1", "dropped"));
        }
        assertThat(kube.client().configMaps().inNamespace("p1").withName("dropped").get()).isNull();
        assertThat(kube.client().configMaps().inNamespace("p1").withName("kept").get()).isNotNull();
        assertThat(kube.client().configMaps().inNamespace("p1").withName("adopted").get()).isNotNull();
        // Never by label or annotation alone: an object the inventory never listed stays.
        assertThat(kube.client().configMaps().inNamespace("p1").withName("unlisted").get()).isNotNull();
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("not pruning ConfigMap p1/adopted: it is now owned by inventory other-app");
        assertThat(kube.client().configMaps().inNamespace("p1").withName("kastor-inventory-app").get().getMetadata().getLabels())
                .containsEntry(Inventory.LABEL, "app");
    }

    @Test
    void rolloutWaitReturnsWhenTheDeploymentControllerReportsAllReplicasAvailable() throws Exception {
        var d = new DeploymentBuilder().withNewMetadata().withName("web").withNamespace("r1").withGeneration(1L).endMetadata()
                .withNewSpec().withReplicas(2).endSpec().build();
        kube.client().apps().deployments().inNamespace("r1").resource(d).create();
        var manifest = new Manifest("web.yaml", 1, kube.client().genericKubernetesResources("apps/v1", "Deployment").inNamespace("r1").withName("web").get());
        var type = ResourceDefinitionContext.fromResourceType(io.fabric8.kubernetes.api.model.apps.Deployment.class);
        var done = new CompletableFuture<Void>();
        Thread t = new Thread(() -> {
            try (KubeConnection conn = connect()) {
                new RolloutWait(conn, new Console(new Context(Map.of(), System.out, new PrintStream(err, true, StandardCharsets.UTF_8), System.in, tmp, tmp), false))
                        .run(List.of(new Applier.Planned(manifest, type)), Duration.ofMinutes(2));
                done.complete(null);
            } catch (Throwable e) {
                done.completeExceptionally(e);
            }
        });
        t.setDaemon(true);
        t.start();
        awaitOutput("in-progress");

        var live = kube.client().apps().deployments().inNamespace("r1").withName("web").get();
        live.setStatus(new DeploymentStatusBuilder().withObservedGeneration(live.getMetadata().getGeneration()).withReplicas(2).withUpdatedReplicas(2)
                .withAvailableReplicas(2).withReadyReplicas(2).build());
        kube.client().apps().deployments().inNamespace("r1").resource(live).updateStatus();

        done.get(2, TimeUnit.MINUTES);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("Deployment r1/web", "in-progress  waiting for the controller to see generation 1", "done", "2/2 updated, 2 available");
    }

    private void awaitOutput(String text) throws InterruptedException {
        Eventually.until(Duration.ofSeconds(60), () -> "printed '" + text + "': " + err, () -> err.toString(StandardCharsets.UTF_8).contains(text));
    }
}
