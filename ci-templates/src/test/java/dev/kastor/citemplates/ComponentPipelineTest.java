package dev.kastor.citemplates;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.testing.kube.KubeStandIn;
import dev.kastor.testing.Programs;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CI/CD component with different inputs, run by gitlab-ci-local against the same real parts as the template:
 * included as a file with {@code inputs:} ({@code include: remote:}), and as a catalog component from a component
 * project laid out by {@code ci-templates/publish-components} ({@code include: component:}).
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class ComponentPipelineTest {
    @TempDir
    static Path dir;
    static Delivery parts;
    static RawFiles raw;

    @BeforeAll
    static void start() throws Exception {
        parts = new Delivery(dir.resolve("parts"));
        raw = RawFiles.start();
    }

    @AfterAll
    static void stop() {
        Programs.closeAll(raw, parts);
    }

    static GitLabCiLocal userProject(String name, String inputs) {
        var p = GitLabCiLocal.project(dir.resolve(name), GitLabCiLocal.DEFAULT_REMOTE);
        p.variables.putAll(parts.ciVariables());
        p.write(".gitlab-ci.yml", """
                include:
                  - remote: %s
                    inputs:
                %s""".formatted(raw.url("ci-templates/components/kastor.yml"), inputs.indent(6)));
        return p;
    }

    static String configMap(String name, String greeting) {
        return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n  namespace: apps\ndata:\n  greeting: " + greeting + "\n";
    }

    @Test
    void pushDeployFromAnotherDirectoryToStaging() throws Exception {
        var project = userProject("push", """
                agent: %s
                deploy: push
                manifests: k8s/base
                manifests_repository: $CI_REGISTRY_IMAGE/k8s
                environment: staging
                timeout: 90s
                """.formatted(Delivery.AGENT_CONTEXT));
        project.write("k8s/base/namespace.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: apps\n");
        project.write("k8s/base/configmap.yaml", configMap("staging-config", "from the component"));
        project.commit("k8s/base");

        var run = project.pipeline();

        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.output()).contains("PASS  kastor-package", "PASS  kastor-deploy").doesNotContain("kastor-flux-sync");
        assertThat(parts.digestOf("group/app/k8s", "main")).startsWith("sha256:");
        assertThat(parts.kube.client().configMaps().inNamespace("apps").withName("staging-config").get().getData())
                .containsEntry("greeting", "from the component");
    }

    @Test
    void fluxSyncOfNamedObjectsWithoutReporting() throws Exception {
        parts.installFluxObjects("shop", "group/app/shop-manifests", "main");
        var project = userProject("flux", """
                agent: %s
                manifests_repository: $CI_REGISTRY_IMAGE/shop-manifests
                flux_source: shop
                flux_kustomization: shop
                report: false
                """.formatted(Delivery.AGENT_CONTEXT));
        project.write("deploy/configmap.yaml", configMap("shop-config", "synced"));
        String sha = project.commit("deploy/");

        var run = project.pipeline();

        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.output()).contains("PASS  kastor-package", "PASS  kastor-flux-sync").doesNotContain("kastor-deploy");
        String digest = parts.digestOf("group/app/shop-manifests", "main");
        assertThat(parts.kube.get(KubeStandIn.KUSTOMIZATION, "flux-system", "shop").getAdditionalProperties().get("status").toString())
                .contains("lastAppliedRevision=main@" + digest);
        assertThat(parts.kas.gitlab.statuses()).as("report: false").noneMatch(s -> s.sha().equals(sha));
    }

    @Test
    void inputOutsideItsOptionsGetsGitLabsOwnError() {
        var project = userProject("bad", "agent: %s\ndeploy: sideways\n".formatted(Delivery.AGENT_CONTEXT));
        project.commit("bad input");

        var run = project.list();

        assertThat(run.exit()).isNotZero();
        assertThat(run.output()).contains("`deploy` input: `sideways` cannot be used because it is not in the list of allowed options");
    }

    @Test
    void missingAgentAndMalformedTimeoutAreRefusedBeforeAnyJobRuns() {
        var noAgent = userProject("no-agent", "deploy: flux\n");
        noAgent.commit("no agent");
        assertThat(noAgent.list().output()).contains("`agent` input: required value has not been provided");

        var badTimeout = userProject("bad-timeout", "agent: %s\ntimeout: soon\n".formatted(Delivery.AGENT_CONTEXT));
        badTimeout.commit("bad timeout");
        var run = badTimeout.list();
        assertThat(run.exit()).isNotZero();
        assertThat(run.output()).contains("`timeout` input", "does not match required regex");
    }

    @Test
    void catalogComponentProjectLaidOutByPublishComponentsRunsItsOwnPipeline() throws Exception {
        Path out = dir.resolve("catalog");
        Programs.check(List.of(Repo.CI_TEMPLATES.resolve("publish-components").toString(), out.toString()), 60);
        var project = GitLabCiLocal.project(out, "https://gitlab.example.com/kastor-dev/components.git");
        project.variables.putAll(parts.ciVariables());
        project.variable("CI_REGISTRY_IMAGE", parts.registry.host() + "/kastor-dev/components");
        assertThat(out.resolve("templates/kastor.yml")).hasSameTextualContentAs(Repo.CI_TEMPLATES.resolve("components/kastor.yml"));
        project.commit("Kastor components");

        var run = project.pipeline();

        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.output()).contains("PASS  kastor-package");
        assertThat(parts.digestOf("kastor-dev/components/test-manifests", "main")).startsWith("sha256:");

        var release = project.tagPipeline("0.1.0");
        assertThat(release.output()).as(release.toString()).contains("create-release");
    }
}
