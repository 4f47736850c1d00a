package dev.kastor.steps;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.testing.Eventually;
import dev.kastor.testing.GitLabApiStandIn;
import dev.kastor.testing.kube.FluxControllersStandIn;
import dev.kastor.testing.kube.GitRefs;
import dev.kastor.testing.kube.KubeStandIn;
import dev.kastor.testing.kube.RegistryTags;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.nio.file.Files;
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
 * {@code kastor flux wait --git}: the job's commit in a real Git repository, a GitRepository and the Kustomization it
 * feeds in the Kubernetes API stand-in, and source-controller and kustomize-controller played by
 * {@link FluxControllersStandIn} (resolving refs in that repository) or by the test writing their status. Flux cannot
 * run here, so cloning and applying are not covered.
 */
class FluxGitWaitTest {
    private static final String API_TOKEN = "glpat-api-s3cr3t-0816";
    private static final AtomicInteger SEQ = new AtomicInteger();

    private static KubeStandIn kube;
    private static GitLabApiStandIn gitlab;

    @TempDir
    Path tmp;

    private String ns;
    private String app; // the project's path: its own per test, as discovery looks in every namespace
    private Path kubeconfig;
    private GitRefs repo;
    private String older;
    private String commit;

    @BeforeAll
    static void start() {
        kube = KubeStandIn.start();
        gitlab = GitLabApiStandIn.start();
        gitlab.addApiToken(API_TOKEN, "77");
    }

    @AfterAll
    static void stop() {
        if (gitlab != null) gitlab.close();
        if (kube != null) kube.close();
    }

    /** A project with two commits (the job's is the second), and a namespace of the test's own. */
    @BeforeEach
    void project() throws Exception {
        int n = SEQ.incrementAndGet();
        ns = "git-" + n;
        app = "group/app" + n;
        kubeconfig = kube.writeKubeconfig(tmp.resolve("kubeconfig"), Map.of("bars/infra:prod", 42L));
        repo = GitRefs.init(tmp.resolve("app"));
        older = repo.commit("older");
        commit = repo.commit("the job's");
    }

    private void createSourceAndKustomization(String url) {
        kube.create(KubeStandIn.GIT_REPOSITORY, ns, "app", Map.of("interval", "5m", "url", url, "ref", Map.of("branch", "main")));
        kube.create(KubeStandIn.KUSTOMIZATION, ns, "app", Map.of("interval", "10m", "path", "./", "prune", true,
                "sourceRef", Map.of("kind", "GitRepository", "name", "app")));
    }

    private static List<Map<String, Object>> ready(String status, String reason, String message) {
        return List.of(Map.of("type", "Ready", "status", status, "reason", reason, "message", message));
    }

    private void sourceAt(String sha) {
        String revision = "main@sha1:" + sha;
        kube.writeStatus(KubeStandIn.GIT_REPOSITORY, ns, "app", Map.of("artifact", Map.of("revision", revision),
                "conditions", ready("True", "Succeeded", "stored artifact for revision '" + revision + "'")));
    }

    private void kustomizationApplied(String sha) {
        String revision = "main@sha1:" + sha;
        kube.writeStatus(KubeStandIn.KUSTOMIZATION, ns, "app", Map.of("lastAppliedRevision", revision, "lastAttemptedRevision", revision,
                "conditions", ready("True", "ReconciliationSucceeded", "Applied revision: " + revision)));
    }

    private KastorRun wait(Map<String, String> moreEnv) {
        var env = new HashMap<String, String>();
        env.put("KUBECONFIG", kubeconfig.toString());
        env.put("CI_API_V4_URL", gitlab.apiV4Url());
        env.put("CI_PROJECT_ID", "77");
        env.put("CI_PROJECT_URL", "https://GitLab.example.com/" + app.toUpperCase(java.util.Locale.ROOT)); // case differs from spec.url on purpose
        env.put("CI_COMMIT_SHA", commit);
        env.put("CI_COMMIT_REF_NAME", "main");
        env.put("CI_PIPELINE_ID", "9001");
        env.put("CI_JOB_URL", "https://gitlab.example.com/group/app/-/jobs/56");
        env.putAll(moreEnv);
        return KastorRun.in(tmp).env(env);
    }

    private List<String> statesOf(String name) {
        var out = new ArrayList<String>();
        for (var s : gitlab.statuses()) if (s.name().equals(name) && s.sha().equals(commit)) out.add(s.state());
        return out;
    }

    @Test
    void gitWaitSucceedsOnTheJobsCommitFoundByTheProjectsSshUrlAndWritesJsonAndDotenv() throws Exception {
        createSourceAndKustomization("ssh://git@gitlab.example.com/" + app + ".git");
        try (var flux = FluxControllersStandIn.start(kube, RegistryTags::digest, (url, ref) -> repo.resolve(ref), Duration.ofMillis(150))) {
            var r = wait(Map.of()).run("flux", "wait", "--git", "--reconcile", "--timeout", "2m", "--output", "json", "--dotenv", "flux.env");

            assertThat(r.exit()).as(r.toString()).isZero();
            assertThat(r.err()).contains("found GitRepository " + ns + "/app cloning gitlab.example.com/" + app, "Kustomization " + ns + "/app");
            assertThat(r.json().get("commit").asString()).isEqualTo(commit);
            assertThat(r.json().get("revision").asString()).isEqualTo("main@sha1:" + commit);
            assertThat(r.json().get("objects").toString()).contains("GitRepository", "Applied revision: main@sha1:" + commit);
            assertThat(Files.readString(tmp.resolve("flux.env"))).contains("KASTOR_FLUX_REVISION=main@sha1:" + commit);
            assertThat(flux.lastError()).isNull();
        }
    }

    @Test
    void gitRepositoryFoundByScpLikeUrlAndStillAtAnOlderCommitTimesOutNamingTheRevisionItIsAt() {
        createSourceAndKustomization("git@gitlab.example.com:" + app + ".git");
        sourceAt(older);
        kustomizationApplied(older);

        var r = wait(Map.of()).run("flux", "wait", "--commit", commit, "--url", "https://gitlab-ci-token:job-s3cr3t@gitlab.example.com/" + app + ".git",
                "-n", ns, "--timeout", "2s");

        assertThat(r.exit()).as(r.toString()).isEqualTo(4);
        assertThat(r.err()).contains("timed out after 2s waiting for sha1:" + commit, "GitRepository " + ns + "/app: revision main@sha1:" + older,
                "want …@sha1:" + commit);
        assertThat(r.err() + r.out()).doesNotContain("job-s3cr3t");
    }

    @Test
    void aKustomizationThatAppliedAnOlderRevisionIsNotDone() {
        createSourceAndKustomization("https://gitlab.example.com/" + app + ".git");
        sourceAt(commit);
        kustomizationApplied(older);

        var r = wait(Map.of()).run("flux", "wait", "--git", "--source", ns + "/app", "--kustomization", ns + "/app", "--timeout", "2s");

        assertThat(r.exit()).as(r.toString()).isEqualTo(4);
        assertThat(r.err()).contains("not done: Kustomization " + ns + "/app: lastAppliedRevision main@sha1:" + older)
                .doesNotContain("not done: GitRepository");
    }

    @Test
    void gitRepositoryReadyFalseForTheJobsCommitFailsFastAndIsReported() throws Exception {
        createSourceAndKustomization("https://gitlab.example.com/" + app);
        sourceAt(older);

        CompletableFuture<KastorRun.Result> run = FluxWaitTest.inBackground(() -> wait(Map.of("KASTOR_GITLAB_TOKEN", API_TOKEN))
                .run("flux", "wait", "--git", "-n", ns, "--reconcile", "--report", "--timeout", "2m"));
        String requestedAt = awaitReconcileRequested();
        kube.writeStatus(KubeStandIn.GIT_REPOSITORY, ns, "app", Map.of("artifact", Map.of("revision", "main@sha1:" + older),
                "lastHandledReconcileAt", requestedAt,
                "conditions", ready("False", "GitOperationFailed", "failed to checkout and determine revision: authentication required")));
        KastorRun.Result r = run.get(3, TimeUnit.MINUTES);

        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("GitRepository " + ns + "/app failed: Ready=False GitOperationFailed: failed to checkout and determine revision:"
                + " authentication required (revision main@sha1:" + older + ")");
        assertThat(statesOf("flux/gitrepository/" + ns + "/app")).containsExactly("pending", "running", "failed");
        assertThat(statesOf("flux/kustomization/" + ns + "/app")).endsWith("failed");
        assertThat(r.err() + r.out()).doesNotContain(API_TOKEN);
    }

    @Test
    void aCommitThatIsNotAFullShaIsAUsageError() {
        var r = wait(Map.of()).run("flux", "wait", "--commit", commit.substring(0, 8), "--source", ns + "/app");

        assertThat(r.exit()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).contains("--commit " + commit.substring(0, 8) + " is not a full 40-hex commit sha");
    }

    @Test
    void digestAndCommitTogetherAreAUsageError() {
        var r = wait(Map.of()).run("flux", "wait", "--commit", commit, "--digest", "sha256:" + "a".repeat(64), "--source", ns + "/app");

        assertThat(r.exit()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).contains("give one of them");
    }

    /** Waits until the wait has asked Flux to reconcile the GitRepository; returns the requestedAt value it set. */
    private String awaitReconcileRequested() throws InterruptedException {
        Eventually.until(Duration.ofSeconds(60), () -> "flux wait set reconcile.fluxcd.io/requestedAt on the GitRepository", () -> {
            GenericKubernetesResource o = kube.get(KubeStandIn.GIT_REPOSITORY, ns, "app");
            return o.getMetadata().getAnnotations() != null && o.getMetadata().getAnnotations().containsKey("reconcile.fluxcd.io/requestedAt");
        });
        return kube.get(KubeStandIn.GIT_REPOSITORY, ns, "app").getMetadata().getAnnotations().get("reconcile.fluxcd.io/requestedAt");
    }
}
