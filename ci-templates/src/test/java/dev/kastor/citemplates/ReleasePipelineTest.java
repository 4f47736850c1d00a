package dev.kastor.citemplates;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.testing.GitLabApiStandIn;
import dev.kastor.testing.Programs;
import dev.kastor.testing.Skopeo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kastor's own {@code .gitlab-ci.yml} on a version tag, run by gitlab-ci-local in a copy of this checkout: the build
 * job compiles the jars, the release jobs push Kastor's three images (built by the template's image job, that is by
 * Kastor itself) to the registry and the jars to the generic package registry. skopeo reads the images.
 */
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class ReleasePipelineTest {
    @TempDir
    static Path dir;
    static Delivery parts;

    @BeforeAll
    static void start() throws Exception {
        parts = new Delivery(dir.resolve("parts"));
    }

    @AfterAll
    static void stop() {
        Programs.closeAll(parts);
    }

    /** This checkout's files as Git sees them (tracked and new, not ignored): what a push to GitLab would carry. */
    static GitLabCiLocal copyOfThisCheckout(Path to) throws IOException {
        var project = GitLabCiLocal.project(to, "https://gitlab.example.com/kastor-dev/kastor.git");
        String files = Programs.check(List.of("git", "-C", Repo.ROOT.toString(), "ls-files", "-co", "--exclude-standard", "-z"), 60);
        for (String f : files.split("\0")) {
            if (f.isEmpty() || !Files.exists(Repo.ROOT.resolve(f))) continue;
            project.copy(Repo.ROOT.resolve(f), f);
        }
        return project;
    }

    @Test
    void versionTagPushesKastorsThreeImagesAndJars() throws Exception {
        String creds = Delivery.REGISTRY_USER + ":" + Delivery.REGISTRY_PASSWORD;
        // The Java runtime base the release builds on; here a stand-in image in the local registry (no Docker Hub).
        Path baseContent = Files.createDirectories(dir.resolve("base/opt/java"));
        Files.writeString(baseContent.resolve("release"), "JAVA_VERSION=\"21\"\n");
        String base = parts.registry.host() + "/mirror/eclipse-temurin:21-jre";
        Programs.check(List.of(Repo.ROOT.resolve("kastor").toString(), "image", "build", "--from", "scratch",
                "--layer", dir.resolve("base") + ":/", "--to", base, "--insecure-registry", "--creds", creds), 120);

        var project = copyOfThisCheckout(dir.resolve("kastor"));
        project.variables.putAll(parts.ciVariables());
        project.variable("CI_REGISTRY_IMAGE", parts.registry.host() + "/kastor-dev/kastor");
        project.variable("KASTOR_BASE_IMAGE", base);
        project.commit("Kastor 0.1.0");

        var run = project.tagPipeline("v0.1.0", "build", "release-images", "release-jars");

        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.output()).contains("PASS  build", "PASS  release-images", "PASS  release-jars");
        for (String image : List.of("kastor", "kastor-kas", "kastor-agent")) {
            String config = Skopeo.inspectConfig(parts.registry.host() + "/kastor-dev/kastor/" + image + ":0.1.0", creds);
            assertThat(config).as(image).contains("/app/" + image + ".jar", "65532:65532", "org.opencontainers.image.version");
            assertThat(parts.digestOf("kastor-dev/kastor/" + image, "latest")).isEqualTo(parts.digestOf("kastor-dev/kastor/" + image, "0.1.0"));
        }
        var jars = new ArrayList<String>();
        for (GitLabApiStandIn.PackageFile f : parts.kas.gitlab.packageFiles()) {
            assertThat(f.packageName() + "/" + f.version()).isEqualTo("kastor/0.1.0");
            assertThat(f.size()).as(f.fileName()).isGreaterThan(1_000_000);
            jars.add(f.fileName());
        }
        assertThat(jars).containsExactlyInAnyOrder("kastor.jar", "kastor-kas.jar", "kastor-agent.jar");
        assertThat(run.output()).doesNotContain(Delivery.REGISTRY_PASSWORD, Delivery.JOB_TOKEN);
    }
}
