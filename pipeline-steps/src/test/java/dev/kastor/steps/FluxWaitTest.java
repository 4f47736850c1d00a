package dev.kastor.steps;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.testing.Eventually;
import dev.kastor.testing.GitLabApiStandIn;
import dev.kastor.testing.RegistryServer;
import dev.kastor.testing.kube.FluxControllersStandIn;
import dev.kastor.testing.kube.KubeStandIn;
import dev.kastor.testing.kube.RegistryTags;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kastor flux wait} end to end: a real artifact pushed to the real registry, the Kubernetes API stand-in with
 * the Flux CRDs, and source-controller and kustomize-controller played by the test, writing the status they would
 * write step by step, or by {@link FluxControllersStandIn}. Flux cannot run here, so what it does between the writes
 * (pulling, building, applying, health checks) is not covered.
 */
class FluxWaitTest {
    private static final String SHA = "0123456789abcdef0123456789abcdef01234567";
    private static final String API_TOKEN = "glpat-api-s3cr3t-0815";
    private static final AtomicInteger SEQ = new AtomicInteger();

    private static RegistryServer registry;
    private static KubeStandIn kube;
    private static GitLabApiStandIn gitlab;

    @TempDir
    Path tmp;

    private String ns;
    private String repo;
    private Path kubeconfig;

    @BeforeAll
    static void start() {
        registry = RegistryServer.start();
        kube = KubeStandIn.start();
        gitlab = GitLabApiStandIn.start();
        gitlab.addApiToken(API_TOKEN, "77");
    }

    @AfterAll
    static void stop() {
        if (gitlab != null) gitlab.close();
        if (kube != null) kube.close();
        if (registry != null) registry.close();
    }

    @BeforeEach
    void names() {
        int n = SEQ.incrementAndGet();
        ns = "flux-" + n;
        repo = "wait" + n + "/manifests";
        kubeconfig = kube.writeKubeconfig(tmp.resolve("kubeconfig"), Map.of("bars/infra:prod", 42L));
    }

    /** Pushes a real artifact and returns its manifest digest, as the package job's dotenv would carry it. */
    private String push(String tag, String content) {
        Path dir = Artifacts.write(tmp.resolve("deploy-" + tag), Map.of("app.yaml", content));
        var r = KastorRun.in(tmp).run("artifact", "push", dir.toString(), url() + ":" + tag, "--insecure-registry", "--output", "json");
        assertThat(r.exit()).as(r.toString()).isZero();
        return r.json().get("digest").asString();
    }

    private String url() {
        return "oci://" + registry.host() + "/" + repo;
    }

    private void createSourceAndKustomization() {
        kube.create(KubeStandIn.OCI_REPOSITORY, ns, "podinfo", Map.of("interval", "5m", "url", url(), "ref", Map.of("tag", "main")));
        kube.create(KubeStandIn.KUSTOMIZATION, ns, "podinfo", Map.of("interval", "10m", "path", "./", "prune", true,
                "sourceRef", Map.of("kind", "OCIRepository", "name", "podinfo")));
    }

    /** Writes {@code status} as a Flux controller would (observedGeneration = generation). */
    private void writeStatus(ResourceDefinitionContext rdc, String name, Map<String, Object> status) {
        kube.writeStatus(rdc, ns, name, status);
    }

    private static List<Map<String, Object>> conditions(String readyStatus, String reason, String message) {
        return List.of(Map.of("type", "Ready", "status", readyStatus, "reason", reason, "message", message));
    }

    private void sourceServes(String revision) {
        writeStatus(KubeStandIn.OCI_REPOSITORY, "podinfo", Map.of("artifact", Map.of("revision", revision, "digest", "sha256:00"),
                "conditions", conditions("True", "Succeeded", "stored artifact for digest '" + revision + "'")));
    }

    private void kustomizationApplied(String revision) {
        writeStatus(KubeStandIn.KUSTOMIZATION, "podinfo", Map.of("lastAppliedRevision", revision, "lastAttemptedRevision", revision,
                "conditions", conditions("True", "ReconciliationSucceeded", "Applied revision: " + revision)));
    }

    private KastorRun wait(Map<String, String> moreEnv) {
        var env = new HashMap<String, String>();
        env.put("KUBECONFIG", kubeconfig.toString());
        env.put("CI_API_V4_URL", gitlab.apiV4Url());
        env.put("CI_PROJECT_ID", "77");
        env.put("CI_COMMIT_SHA", SHA);
        env.put("CI_COMMIT_REF_NAME", "main");
        env.put("CI_PIPELINE_ID", "9001");
        env.put("CI_JOB_URL", "https://gitlab.example.com/bars/app/-/jobs/55");
        env.putAll(moreEnv);
        return KastorRun.in(tmp).env(env);
    }

    /** Waits (test side; the stand-in has no controller to notify us) until the wait has asked Flux to reconcile. */
    private void awaitReconcileRequested(ResourceDefinitionContext rdc, String name) throws InterruptedException {
        Eventually.until(Duration.ofSeconds(60), () -> "flux wait set reconcile.fluxcd.io/requestedAt on " + name, () -> {
            GenericKubernetesResource o = kube.get(rdc, ns, name);
            return o.getMetadata().getAnnotations() != null && o.getMetadata().getAnnotations().containsKey("reconcile.fluxcd.io/requestedAt");
        });
    }

    /** Runs a command on a thread of its own (the common pool has one worker on a 2-core machine; the HTTP clients need it). */
    static CompletableFuture<KastorRun.Result> inBackground(java.util.function.Supplier<KastorRun.Result> run) {
        var f = new CompletableFuture<KastorRun.Result>();
        Thread t = new Thread(() -> {
            try {
                f.complete(run.get());
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        }, "kastor-under-test");
        t.setDaemon(true);
        t.start();
        return f;
    }

    private List<String> statesOf(String name) {
        var out = new ArrayList<String>();
        for (var s : gitlab.statuses()) if (s.name().equals(name) && s.sha().equals(SHA)) out.add(s.state());
        return out;
    }

    @Test
    void waitSucceedsOnceSourceAndKustomizationReportThePushedDigestAndReportsEachStep() throws Exception {
        String old = push("old", "kind: ConfigMap\n");
        String digest = push("main", "kind: Secret\n");
        createSourceAndKustomization();
        sourceServes("main@" + old);
        kustomizationApplied("main@" + old);

        CompletableFuture<KastorRun.Result> run = inBackground(() -> wait(Map.of(
                "KASTOR_ARTIFACT_DIGEST", digest, "KASTOR_ARTIFACT_URL", url() + ":main", "KASTOR_GITLAB_TOKEN", API_TOKEN))
                .run("flux", "wait", "--reconcile", "--report", "--timeout", "2m"));
        awaitReconcileRequested(KubeStandIn.KUSTOMIZATION, "podinfo");
        sourceServes("main@" + digest);
        kustomizationApplied("main@" + digest);
        KastorRun.Result r = run.get(3, TimeUnit.MINUTES);

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("synced " + digest);
        assertThat(r.err()).contains("using agent context bars/infra:prod", "OCIRepository " + ns + "/podinfo");
        String source = "flux/ocirepository/" + ns + "/podinfo";
        String ks = "flux/kustomization/" + ns + "/podinfo";
        assertThat(statesOf(source)).containsExactly("pending", "running", "success");
        assertThat(statesOf(ks)).containsExactly("pending", "running", "success");
        var last = gitlab.statuses().stream().filter(s -> s.name().equals(ks)).reduce((a, b) -> b).orElseThrow();
        assertThat(last.ref()).isEqualTo("main");
        assertThat(last.pipelineId()).isEqualTo("9001");
        assertThat(last.targetUrl()).isEqualTo("https://gitlab.example.com/bars/app/-/jobs/55");
        assertThat(last.description()).contains("main@" + digest);
        assertThat(r.err() + r.out()).doesNotContain(API_TOKEN).doesNotContain(KubeStandIn.JOB_TOKEN);
    }

    @Test
    void waitSucceedsWithTheExactPushedDigestWhenTheFluxControllersStandInReconciles() throws Exception {
        String before = push("main", "kind: ConfigMap\n"); // what the cluster runs before this pipeline
        createSourceAndKustomization();
        try (var flux = FluxControllersStandIn.start(kube, RegistryTags::digest)) {
            String digest = push("main", "kind: Secret\n");
            assertThat(digest).isNotEqualTo(before);

            var r = wait(Map.of("KASTOR_ARTIFACT_DIGEST", digest, "KASTOR_ARTIFACT_URL", url() + ":main"))
                    .run("flux", "wait", "--reconcile", "--timeout", "2m", "--output", "json");

            assertThat(r.exit()).as(r.toString()).isZero();
            assertThat(r.json().get("digest").asString()).isEqualTo(digest);
            assertThat(r.json().get("revision").asString()).isEqualTo("main@" + digest);
            flux.reconcileNow(); // the pass that handled the reconcile request may come after the one that synced
            var ks = kube.get(KubeStandIn.KUSTOMIZATION, ns, "podinfo");
            assertThat(ks.<Object>get("status", "lastAppliedRevision")).isEqualTo("main@" + digest);
            assertThat(ks.<Object>get("status", "lastHandledReconcileAt")).isEqualTo(ks.getMetadata().getAnnotations().get("reconcile.fluxcd.io/requestedAt"));
            assertThat(flux.lastError()).isNull();
        }
    }

    @Test
    void fluxEventsAboutTheWaitedObjectsArePrintedWhileWaiting() throws Exception {
        String digest = push("main", "kind: Secret\n");
        createSourceAndKustomization();

        CompletableFuture<KastorRun.Result> run = inBackground(() -> wait(Map.of(
                "KASTOR_ARTIFACT_DIGEST", digest, "KASTOR_ARTIFACT_URL", url() + ":main"))
                .run("flux", "wait", "--reconcile", "--timeout", "2m"));
        awaitReconcileRequested(KubeStandIn.KUSTOMIZATION, "podinfo");
        // What kustomize-controller records while it works; the event about another object must not be printed.
        kube.client().v1().events().inNamespace(ns).resource(new io.fabric8.kubernetes.api.model.EventBuilder()
                .withNewMetadata().withName("podinfo.1").withNamespace(ns).endMetadata()
                .withNewInvolvedObject().withKind("Kustomization").withName("podinfo").withNamespace(ns).endInvolvedObject()
                .withType("Normal").withReason("Progressing").withMessage("Deployment/podinfo/podinfo configured").build()).create();
        kube.client().v1().events().inNamespace(ns).resource(new io.fabric8.kubernetes.api.model.EventBuilder()
                .withNewMetadata().withName("other.1").withNamespace(ns).endMetadata()
                .withNewInvolvedObject().withKind("Kustomization").withName("other").withNamespace(ns).endInvolvedObject()
                .withType("Warning").withReason("BuildFailed").withMessage("not ours").build()).create();
        sourceServes("main@" + digest);
        kustomizationApplied("main@" + digest);
        KastorRun.Result r = run.get(3, TimeUnit.MINUTES);

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.err()).contains("Progressing: Deployment/podinfo/podinfo configured").doesNotContain("not ours");
    }

    @Test
    void staleRevisionIsNotMistakenForTheNewOneAndTimeoutSaysWhatWasSeen() {
        String old = push("old", "kind: ConfigMap\n");
        String digest = push("main", "kind: Secret\n");
        createSourceAndKustomization();
        sourceServes("main@" + old);
        kustomizationApplied("main@" + old);

        var r = wait(Map.of()).run("flux", "wait", "--digest", digest, "--source", ns + "/podinfo", "--kustomization", ns + "/podinfo",
                "--timeout", "2s");

        assertThat(r.exit()).as(r.toString()).isEqualTo(4);
        assertThat(r.err()).contains("timed out after 2s", "revision main@" + old, "want …@" + digest);
    }

    @Test
    void kustomizationReadyFalseOnThePushedRevisionFailsWithTheControllersMessage() throws Exception {
        String digest = push("main", "kind: Secret\n");
        createSourceAndKustomization();

        CompletableFuture<KastorRun.Result> run = inBackground(() -> wait(Map.of("KASTOR_GITLAB_TOKEN", API_TOKEN))
                .run("flux", "wait", "--digest", digest, "--url", url(), "--reconcile", "--report", "--timeout", "2m"));
        awaitReconcileRequested(KubeStandIn.KUSTOMIZATION, "podinfo");
        sourceServes("main@" + digest);
        writeStatus(KubeStandIn.KUSTOMIZATION, "podinfo", Map.of("lastAttemptedRevision", "main@" + digest,
                "conditions", conditions("False", "ReconciliationFailed", "Deployment/default/podinfo dry-run failed: replicas must be >= 0")));
        KastorRun.Result r = run.get(3, TimeUnit.MINUTES);

        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("Kustomization " + ns + "/podinfo failed", "ReconciliationFailed", "replicas must be >= 0");
        assertThat(statesOf("flux/kustomization/" + ns + "/podinfo")).containsExactly("pending", "running", "failed");
        assertThat(statesOf("flux/ocirepository/" + ns + "/podinfo")).containsExactly("pending", "running", "success");
    }

    @Test
    void anOldFailureOfAPreviousRevisionDoesNotFailTheWait() throws Exception {
        String old = push("old", "kind: ConfigMap\n");
        String digest = push("main", "kind: Secret\n");
        createSourceAndKustomization();
        sourceServes("main@" + old);
        writeStatus(KubeStandIn.KUSTOMIZATION, "podinfo", Map.of("lastAttemptedRevision", "main@" + old,
                "conditions", conditions("False", "ReconciliationFailed", "old breakage")));

        CompletableFuture<KastorRun.Result> run = inBackground(() -> wait(Map.of())
                .run("flux", "wait", "--digest", digest, "--source", "podinfo", "-n", ns, "--reconcile", "--timeout", "2m"));
        awaitReconcileRequested(KubeStandIn.KUSTOMIZATION, "podinfo");
        sourceServes("main@" + digest);
        kustomizationApplied("main@" + digest);
        KastorRun.Result r = run.get(3, TimeUnit.MINUTES);

        assertThat(r.exit()).as(r.toString()).isZero();
    }

    @Test
    void stalledSourceFailsFast() throws Exception {
        String digest = push("main", "kind: Secret\n");
        createSourceAndKustomization();
        writeStatus(KubeStandIn.OCI_REPOSITORY, "podinfo", Map.of("conditions", List.of(
                Map.of("type", "Stalled", "status", "True", "reason", "InvalidURL", "message", "invalid OCI URL"))));

        var r = wait(Map.of()).run("flux", "wait", "--digest", digest, "--source", ns + "/podinfo", "--timeout", "2m");

        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("OCIRepository " + ns + "/podinfo failed: Stalled=True InvalidURL: invalid OCI URL");
    }

    @Test
    void reportWithoutAnApiTokenSaysTheJobTokenCannotPostStatuses() {
        var r = wait(Map.of("CI_JOB_TOKEN", "job-token")).run("flux", "wait", "--digest", "sha256:" + "a".repeat(64), "--source", "x", "--report");

        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("CI_JOB_TOKEN cannot post", "KASTOR_GITLAB_TOKEN", "--token-file", "api scope");
    }

    @Test
    void missingSourceIsNamed() {
        var r = wait(Map.of()).run("flux", "wait", "--digest", "sha256:" + "a".repeat(64), "--source", ns + "/nope", "--timeout", "5s");

        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("OCIRepository " + ns + "/nope not found via bars/infra:prod");
    }

    @Test
    void reconcileSetsTheRequestedAtAnnotation() {
        createSourceAndKustomization();

        var r = wait(Map.of()).run("flux", "reconcile", "ks", "podinfo", "-n", ns);

        assertThat(r.exit()).as(r.toString()).isZero();
        var annotations = kube.get(KubeStandIn.KUSTOMIZATION, ns, "podinfo").getMetadata().getAnnotations();
        assertThat(annotations.get("reconcile.fluxcd.io/requestedAt")).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
    }
}
