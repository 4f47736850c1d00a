package dev.kastor.testing.kube;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.testing.RegistryServer;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Flux controllers stand-in writes the status source-controller and kustomize-controller would, for artifacts
 * really pushed to the real registry. Each test drives it pass by pass ({@code reconcileNow}); its own passes are an
 * hour apart here (the first one an hour after the start), so what is asserted is what the test's passes wrote.
 */
class FluxControllersStandInTest {
    private static final AtomicInteger SEQ = new AtomicInteger();
    private static RegistryServer registry;
    private static KubeStandIn kube;

    @TempDir
    java.nio.file.Path tmp;

    private String ns;
    private String repositoryUrl;

    @BeforeAll
    static void start() {
        registry = RegistryServer.start();
        kube = KubeStandIn.start();
    }

    @AfterAll
    static void stop() {
        if (kube != null) kube.close();
        if (registry != null) registry.close();
    }

    @BeforeEach
    void names() {
        int n = SEQ.incrementAndGet();
        ns = "fcs-" + n;
        repositoryUrl = "oci://" + registry.host() + "/controllers" + n + "/manifests";
    }

    private String push(String tag, String content) throws Exception {
        return RegistryTags.push(repositoryUrl, tag, content.getBytes(StandardCharsets.UTF_8));
    }

    private FluxControllersStandIn controllers() {
        return FluxControllersStandIn.start(kube, RegistryTags::digest, Duration.ofHours(1));
    }

    /** The controllers with GitRepositories resolved in {@code git}, whatever their spec.url (the project's URL is not reachable here). */
    private FluxControllersStandIn controllers(GitRefs git) {
        return FluxControllersStandIn.start(kube, RegistryTags::digest, (url, ref) -> git.resolve(ref), Duration.ofHours(1));
    }

    private static Map<String, Object> condition(GenericKubernetesResource o, String type) {
        for (Object c : (List<?>) o.get("status", "conditions")) {
            if (c instanceof Map<?, ?> m && type.equals(m.get("type"))) {
                @SuppressWarnings("unchecked")
                var typed = (Map<String, Object>) m;
                return typed;
            }
        }
        throw new AssertionError("no " + type + " condition in " + o.get("status"));
    }

    @Test
    void sourceAndTheKustomizationsItFeedsGetTheStatusFluxWouldWrite() throws Exception {
        String digest = push("main", "kind: Secret\n");
        kube.create(KubeStandIn.OCI_REPOSITORY, ns, "app", Map.of("interval", "5m", "url", repositoryUrl, "ref", Map.of("tag", "main")));
        kube.create(KubeStandIn.KUSTOMIZATION, ns, "same-ns", Map.of("sourceRef", Map.of("kind", "OCIRepository", "name", "app")));
        kube.create(KubeStandIn.KUSTOMIZATION, ns + "-apps", "other-ns", Map.of("sourceRef", Map.of("kind", "OCIRepository", "name", "app", "namespace", ns)));
        kube.create(KubeStandIn.KUSTOMIZATION, ns, "from-bucket", Map.of("sourceRef", Map.of("kind", "Bucket", "name", "app")));
        kube.create(KubeStandIn.KUSTOMIZATION, ns, "from-git", Map.of("sourceRef", Map.of("kind", "GitRepository", "name", "app")));

        try (var flux = controllers()) {
            flux.reconcileNow();
            assertThat(flux.lastError()).isNull();
        }

        var source = kube.get(KubeStandIn.OCI_REPOSITORY, ns, "app");
        assertThat(source.<Object>get("status", "artifact", "revision")).isEqualTo("main@" + digest);
        assertThat(source.<Object>get("status", "artifact", "digest")).isEqualTo(digest);
        assertThat(source.<Object>get("status", "observedGeneration")).isEqualTo(1);
        assertThat(condition(source, "Ready")).containsEntry("status", "True").containsEntry("reason", "Succeeded")
                .containsEntry("message", "stored artifact for digest 'main@" + digest + "'").containsEntry("observedGeneration", 1);
        for (var ks : List.of(kube.get(KubeStandIn.KUSTOMIZATION, ns, "same-ns"), kube.get(KubeStandIn.KUSTOMIZATION, ns + "-apps", "other-ns"))) {
            assertThat(ks.<Object>get("status", "lastAppliedRevision")).as(ks.getMetadata().getName()).isEqualTo("main@" + digest);
            assertThat(ks.<Object>get("status", "lastAttemptedRevision")).isEqualTo("main@" + digest);
            assertThat(ks.<Object>get("status", "observedGeneration")).isEqualTo(1);
            assertThat(condition(ks, "Ready")).containsEntry("status", "True").containsEntry("reason", "ReconciliationSucceeded")
                    .containsEntry("message", "Applied revision: main@" + digest);
        }
        assertThat(kube.get(KubeStandIn.KUSTOMIZATION, ns, "from-bucket").<Object>get("status")).as("Buckets are not played").isNull();
        assertThat(condition(kube.get(KubeStandIn.KUSTOMIZATION, ns, "from-git"), "Ready")).containsEntry("status", "False")
                .containsEntry("reason", "ArtifactFailed").containsEntry("message", "GitRepository.source.toolkit.fluxcd.io \"app\" not found");
    }

    @Test
    void aNewPushAndAReconcileRequestAreFollowedAndANewGenerationIsObserved() throws Exception {
        String first = push("main", "kind: ConfigMap\n");
        kube.create(KubeStandIn.OCI_REPOSITORY, ns, "app", Map.of("url", repositoryUrl, "ref", Map.of("tag", "main")));
        kube.create(KubeStandIn.KUSTOMIZATION, ns, "app", Map.of("path", "./", "sourceRef", Map.of("kind", "OCIRepository", "name", "app")));
        try (var flux = controllers()) {
            flux.reconcileNow();
            String rv = kube.get(KubeStandIn.KUSTOMIZATION, ns, "app").getMetadata().getResourceVersion();
            flux.reconcileNow();
            assertThat(kube.get(KubeStandIn.KUSTOMIZATION, ns, "app").getMetadata().getResourceVersion()).as("nothing new: nothing written").isEqualTo(rv);
            assertThat(kube.get(KubeStandIn.KUSTOMIZATION, ns, "app").<Object>get("status", "lastAppliedRevision")).isEqualTo("main@" + first);

            String second = push("main", "kind: Secret\n");
            var ks = kube.get(KubeStandIn.KUSTOMIZATION, ns, "app");
            ks.getMetadata().setAnnotations(Map.of("reconcile.fluxcd.io/requestedAt", "2026-01-02T03:04:05.123456789Z"));
            ks.setAdditionalProperty("spec", Map.of("path", "./other", "sourceRef", Map.of("kind", "OCIRepository", "name", "app")));
            kube.client().genericKubernetesResources(KubeStandIn.KUSTOMIZATION).inNamespace(ns).resource(ks).update();
            flux.reconcileNow();

            ks = kube.get(KubeStandIn.KUSTOMIZATION, ns, "app");
            assertThat(ks.getMetadata().getGeneration()).isEqualTo(2L);
            assertThat(ks.<Object>get("status", "observedGeneration")).isEqualTo(2);
            assertThat(ks.<Object>get("status", "lastAppliedRevision")).isEqualTo("main@" + second);
            assertThat(ks.<Object>get("status", "lastHandledReconcileAt")).isEqualTo("2026-01-02T03:04:05.123456789Z");
            assertThat(kube.get(KubeStandIn.OCI_REPOSITORY, ns, "app").<Object>get("status", "artifact", "revision")).isEqualTo("main@" + second);
        }
    }

    @Test
    void aTagThatDoesNotResolveIsReadyFalseAndTheLastArtifactStays() throws Exception {
        String digest = push("main", "kind: Secret\n");
        kube.create(KubeStandIn.OCI_REPOSITORY, ns, "app", Map.of("url", repositoryUrl, "ref", Map.of("tag", "main")));
        try (var flux = controllers()) {
            flux.reconcileNow();
            var o = kube.get(KubeStandIn.OCI_REPOSITORY, ns, "app");
            o.setAdditionalProperty("spec", Map.of("url", repositoryUrl, "ref", Map.of("tag", "never-pushed")));
            kube.client().genericKubernetesResources(KubeStandIn.OCI_REPOSITORY).inNamespace(ns).resource(o).update();
            flux.reconcileNow();
        }

        var source = kube.get(KubeStandIn.OCI_REPOSITORY, ns, "app");
        assertThat(condition(source, "Ready")).containsEntry("status", "False").containsEntry("reason", "OCIArtifactPullFailed");
        assertThat((String) condition(source, "Ready").get("message")).contains("never-pushed", "MANIFEST_UNKNOWN");
        assertThat(source.<Object>get("status", "artifact", "revision")).isEqualTo("main@" + digest);
        assertThat(source.<Object>get("status", "observedGeneration")).isEqualTo(2);
    }

    @Test
    void gitRepositoryRevisionsFollowFluxsFormatForEachKindOfRefAndFeedTheirKustomizations() throws Exception {
        var git = GitRefs.init(tmp.resolve("app"));
        String first = git.commit("first");
        git.tag("v1.0.0");
        String url = "ssh://git@gitlab.example.com/group/app.git";
        kube.create(KubeStandIn.GIT_REPOSITORY, ns, "branch", Map.of("url", url, "ref", Map.of("branch", "main")));
        kube.create(KubeStandIn.GIT_REPOSITORY, ns, "tag", Map.of("url", url, "ref", Map.of("tag", "v1.0.0")));
        kube.create(KubeStandIn.GIT_REPOSITORY, ns, "name", Map.of("url", url, "ref", Map.of("name", "refs/heads/main")));
        kube.create(KubeStandIn.GIT_REPOSITORY, ns, "commit", Map.of("url", url, "ref", Map.of("commit", first)));
        kube.create(KubeStandIn.GIT_REPOSITORY, ns, "branch-commit", Map.of("url", url, "ref", Map.of("branch", "main", "commit", first)));
        kube.create(KubeStandIn.KUSTOMIZATION, ns, "app", Map.of("sourceRef", Map.of("kind", "GitRepository", "name", "branch")));
        try (var flux = controllers(git)) {
            flux.reconcileNow();
            String second = git.commit("second");
            flux.reconcileNow();
            assertThat(flux.lastError()).isNull();

            var source = kube.get(KubeStandIn.GIT_REPOSITORY, ns, "branch");
            assertThat(source.<Object>get("status", "artifact", "revision")).isEqualTo("main@sha1:" + second);
            assertThat(source.<Object>get("status", "artifact", "path")).isEqualTo("gitrepository/" + ns + "/branch/" + second + ".tar.gz");
            assertThat(condition(source, "Ready")).containsEntry("status", "True").containsEntry("reason", "Succeeded")
                    .containsEntry("message", "stored artifact for revision 'main@sha1:" + second + "'");
            assertThat(condition(source, "ArtifactInStorage")).containsEntry("status", "True");
            assertThat(revision("tag")).isEqualTo("v1.0.0@sha1:" + first);
            assertThat(revision("name")).isEqualTo("refs/heads/main@sha1:" + second);
            assertThat(revision("commit")).isEqualTo("sha1:" + first);
            assertThat(revision("branch-commit")).isEqualTo("main@sha1:" + first);
            var ks = kube.get(KubeStandIn.KUSTOMIZATION, ns, "app");
            assertThat(ks.<Object>get("status", "lastAppliedRevision")).isEqualTo("main@sha1:" + second);
            assertThat(condition(ks, "Ready")).containsEntry("message", "Applied revision: main@sha1:" + second);
        }
    }

    @Test
    void aGitRefThatDoesNotResolveIsReadyFalseGitOperationFailedAndTheLastArtifactStays() throws Exception {
        var git = GitRefs.init(tmp.resolve("app"));
        String sha = git.commit("first");
        kube.create(KubeStandIn.GIT_REPOSITORY, ns, "app", Map.of("url", "https://gitlab.example.com/group/app", "ref", Map.of("branch", "main")));
        try (var flux = controllers(git)) {
            flux.reconcileNow();
            var o = kube.get(KubeStandIn.GIT_REPOSITORY, ns, "app");
            o.setAdditionalProperty("spec", Map.of("url", "https://gitlab.example.com/group/app", "ref", Map.of("branch", "never-pushed")));
            kube.client().genericKubernetesResources(KubeStandIn.GIT_REPOSITORY).inNamespace(ns).resource(o).update();
            flux.reconcileNow();
        }

        var source = kube.get(KubeStandIn.GIT_REPOSITORY, ns, "app");
        assertThat(condition(source, "Ready")).containsEntry("status", "False").containsEntry("reason", "GitOperationFailed");
        assertThat(condition(source, "FetchFailed")).containsEntry("status", "True");
        assertThat((String) condition(source, "Ready").get("message")).contains("refs/heads/never-pushed");
        assertThat(source.<Object>get("status", "artifact", "revision")).isEqualTo("main@sha1:" + sha);
    }

    private Object revision(String gitRepository) {
        return kube.get(KubeStandIn.GIT_REPOSITORY, ns, gitRepository).get("status", "artifact", "revision");
    }
}
