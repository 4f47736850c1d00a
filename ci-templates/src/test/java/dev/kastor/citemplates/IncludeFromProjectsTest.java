package dev.kastor.citemplates;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.GitHttpServer;
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
 * The two ways a project on the same GitLab takes Kastor from another project, with Git over HTTP standing where
 * GitLab serves repositories (gitlab-ci-local clones included projects and components from the project's own Git
 * host): {@code include: project:} of the template at Kastor's release tag, and {@code include: component:} of the
 * catalog component at the component project's release (laid out by {@code ci-templates/publish-components}).
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class IncludeFromProjectsTest {
    @TempDir
    static Path dir;
    static Delivery parts;
    static GitHttpServer gitlab;

    @BeforeAll
    static void start() throws Exception {
        parts = new Delivery(dir.resolve("parts"));
        gitlab = GitHttpServer.startAtRoot(dir.resolve("git"));
        parts.installFluxObjects("app", "group/app/manifests", "main");

        // Kastor's repository at its release tag, as far as an include reads it
        var kastor = GitLabCiLocal.project(dir.resolve("kastor-dev-kastor"), gitlab.url("kastor-dev/kastor"));
        kastor.copy(Repo.CI_TEMPLATES.resolve("kastor.gitlab-ci.yml"), "ci-templates/kastor.gitlab-ci.yml");
        kastor.copy(Repo.CI_TEMPLATES.resolve("components"), "ci-templates/components");
        release(kastor, "kastor-dev/kastor", "v0.1.0");

        // the component project, as publish-components lays it out
        Path components = dir.resolve("kastor-dev-components");
        Programs.check(List.of(Repo.CI_TEMPLATES.resolve("publish-components").toString(), components.toString()), 60);
        release(GitLabCiLocal.project(components, gitlab.url("kastor-dev/components")), "kastor-dev/components", "0.1.0");
    }

    static void release(GitLabCiLocal project, String path, String tag) {
        gitlab.createRepo(path);
        project.commit("release " + tag);
        project.git("tag", tag);
        project.git("push", "-q", gitlab.bare(path).toString(), "main", tag);
    }

    @AfterAll
    static void stop() {
        Programs.closeAll(gitlab, parts);
    }

    static GitLabCiLocal userProject(String name, String gitlabCiYml) {
        var p = GitLabCiLocal.project(dir.resolve(name), gitlab.url("group/app"));
        p.variables.putAll(parts.ciVariables());
        p.write(".gitlab-ci.yml", gitlabCiYml);
        p.write("deploy/configmap.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n  namespace: default\ndata:\n  from: " + name + "\n");
        p.commit("deploy/");
        return p;
    }

    @Test
    void templateIncludedFromKastorsProjectAtItsReleaseTag() throws Exception {
        var project = userProject("by-project", """
                include:
                  - project: kastor-dev/kastor
                    ref: v0.1.0
                    file: /ci-templates/kastor.gitlab-ci.yml

                variables:
                  KASTOR_AGENT: %s
                """.formatted(Delivery.AGENT_CONTEXT));

        var run = project.pipeline();

        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.output()).contains("downloaded kastor-dev/kastor v0.1.0 ci-templates/kastor.gitlab-ci.yml", "PASS  kastor-package",
                "PASS  kastor-flux-sync");
        assertThat(parts.digestOf("group/app/manifests", "main")).startsWith("sha256:");
    }

    @Test
    void componentFileIncludedFromKastorsProjectWithInputs() throws Exception {
        var project = userProject("by-project-inputs", """
                include:
                  - project: kastor-dev/kastor
                    ref: v0.1.0
                    file: /ci-templates/components/kastor.yml
                    inputs:
                      agent: %s
                      deploy: push
                      environment: review
                      manifests_repository: $CI_REGISTRY_IMAGE/review-manifests
                """.formatted(Delivery.AGENT_CONTEXT));

        var run = project.pipeline();

        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.output()).contains("PASS  kastor-package", "PASS  kastor-deploy", "kastor-deploy environment: { name: review }");
        assertThat(parts.digestOf("group/app/review-manifests", "main")).startsWith("sha256:");
        assertThat(parts.kube.client().configMaps().inNamespace("default").withName("by-project-inputs").get()).isNotNull();
    }

    @Test
    void catalogComponentIncludedAtItsReleaseWithInputs() throws Exception {
        var project = userProject("by-component", """
                include:
                  - component: $CI_SERVER_FQDN/kastor-dev/components/kastor@0.1.0
                    inputs:
                      agent: %s
                      deploy: push
                      manifests_repository: $CI_REGISTRY_IMAGE/catalog-manifests
                """.formatted(Delivery.AGENT_CONTEXT));

        var run = project.pipeline();

        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.output()).contains("PASS  kastor-package", "PASS  kastor-deploy").doesNotContain("kastor-flux-sync");
        assertThat(parts.digestOf("group/app/catalog-manifests", "main")).startsWith("sha256:");
        assertThat(parts.kube.client().configMaps().inNamespace("default").withName("by-component").get().getData())
                .containsEntry("from", "by-component");
    }
}
