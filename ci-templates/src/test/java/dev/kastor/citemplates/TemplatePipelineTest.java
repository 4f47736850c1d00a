package dev.kastor.citemplates;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.testing.kube.KubeStandIn;
import dev.kastor.testing.GitLabApiStandIn;
import io.fabric8.kubernetes.api.model.ConfigMap;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A user's {@code .gitlab-ci.yml} of a few lines ({@code include: remote:} of the template and the agent's context)
 * run by gitlab-ci-local as GitLab's runner would, against real parts: the registry, Kastor's KAS and agent, the
 * Kubernetes API and GitLab stand-ins, Flux's controllers played by the test's stand-in.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class TemplatePipelineTest {
    @TempDir
    static Path dir;
    static Delivery parts;
    static RawFiles raw;

    @BeforeAll
    static void start() throws Exception {
        parts = new Delivery(dir.resolve("parts"));
        raw = RawFiles.start();
        parts.installFluxObjects("app", "group/app/manifests", "main");
    }

    @AfterAll
    static void stop() {
        dev.kastor.testing.Programs.closeAll(raw, parts);
    }

    /** A user's project: the README's include and variables (plus {@code variables}), and their manifests in deploy/. */
    static GitLabCiLocal userProject(String name, String variables) {
        var p = GitLabCiLocal.project(dir.resolve(name), GitLabCiLocal.DEFAULT_REMOTE);
        p.variables.putAll(parts.ciVariables());
        // The README's own snippet, with the template's URL pointed at this checkout's copy.
        String readme = Readme.snippet("user-gitlab-ci");
        assertThat(readme).contains("https://gitlab.com/kastor-dev/kastor/-/raw/v0.1.0/", "KASTOR_AGENT: " + Delivery.AGENT_CONTEXT);
        p.write(".gitlab-ci.yml", readme.replace("https://gitlab.com/kastor-dev/kastor/-/raw/v0.1.0/", raw.url("")) + variables);
        p.write("deploy/configmap.yaml", """
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: app-config
                  namespace: apps
                data:
                  greeting: hello from %s
                """.formatted(name));
        p.write("deploy/namespace.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: apps\n");
        return p;
    }

    @Test
    void branchPipelinePackagesDeploysThroughKasAndWaitsUntilFluxAppliedThatDigest() throws Exception {
        var project = userProject("seed", "  KASTOR_PUSH_DEPLOY: \"true\"\n");
        String sha = project.commit("deploy/ for the app");

        var run = project.pipeline();

        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.output()).contains("PASS  kastor-package", "PASS  kastor-deploy", "PASS  kastor-flux-sync")
                .doesNotContain("kastor-build-image", "kastor-publish-image");
        String digest = parts.digestOf("group/app/manifests", "main");
        assertThat(digest).as("the artifact kastor-package pushed").startsWith("sha256:");

        // push-based: the ConfigMap went through KAS and the agent into the cluster, recorded in the inventory
        ConfigMap applied = parts.kube.client().configMaps().inNamespace("apps").withName("app-config").get();
        assertThat(applied).as("applied through the agent").isNotNull();
        assertThat(applied.getData()).containsEntry("greeting", "hello from seed");
        assertThat(parts.kas.logText()).contains("\"job_id\":" + Delivery.JOB_ID);
        assertThat(run.output()).contains("pulled oci://" + parts.registry.host() + "/group/app/manifests@" + digest + " (2 files)");

        // GitOps: Flux reconciled exactly the pushed digest, and the job waited for it and reported it
        var kustomization = parts.kube.get(KubeStandIn.KUSTOMIZATION, "flux-system", "app");
        assertThat(kustomization.getAdditionalProperties().get("status").toString()).contains("lastAppliedRevision=main@" + digest);
        assertThat(run.output()).contains(digest.substring(0, 19));
        var statuses = parts.kas.gitlab.statuses().stream().filter(s -> s.sha().equals(sha)).toList();
        assertThat(statuses).extracting(GitLabApiStandIn.CommitStatus::name).contains("flux/kustomization/flux-system/app");
        assertThat(statuses.stream().filter(s -> s.name().equals("flux/kustomization/flux-system/app")).toList().getLast().state()).isEqualTo("success");

        // secrets never reach the job log
        assertThat(run.output()).doesNotContain(Delivery.JOB_TOKEN, Delivery.REGISTRY_PASSWORD, Delivery.API_TOKEN);
    }

    @Test
    void buildTagBuildsTheApplicationImageAndPushTagPublishesIt() throws Exception {
        var project = userProject("tags", """
                  KASTOR_IMAGE_BUILD_FROM: scratch
                  KASTOR_IMAGE_BUILD_LAYER: "site:/srv/www"
                """);
        project.write("site/index.html", "<h1>hello</h1>\n");
        String sha = project.commit("a site");

        var build = project.tagPipeline("build-1.0");

        assertThat(build.exit()).as(build.toString()).isZero();
        assertThat(build.output()).contains("PASS  kastor-build-image").doesNotContain("kastor-package", "kastor-publish-image");
        String image = parts.digestOf("group/app", sha);
        assertThat(image).as("the image of this commit").startsWith("sha256:");
        assertThat(parts.digestOf("group/app", "push-1.0")).as("not published yet").isNull();

        var publish = project.tagPipeline("push-1.0");

        assertThat(publish.exit()).as(publish.toString()).isZero();
        assertThat(publish.output()).contains("PASS  kastor-publish-image").doesNotContain("kastor-build-image");
        assertThat(parts.digestOf("group/app", "push-1.0")).isEqualTo(image);
        assertThat(parts.digestOf("group/app", "latest")).isEqualTo(image);
    }
}
