package dev.kastor.steps;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command's own surface: help, version, and planned groups that must fail loudly rather than do nothing. */
class KastorCommandLineTest {
    @TempDir
    Path tmp;

    @Test
    void topLevelHelpListsTheGroupsAndExitCodes() {
        var r = KastorRun.in(tmp).run("--help");

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("artifact", "image", "kube", "flux", "status", "Exit codes", "--version");
        assertThat(r.out()).contains("Package Kubernetes manifests as Flux OCI artifacts", "Build and tag container images");
        assertThat(r.err()).isEmpty();
    }

    @Test
    void pushHelpDescribesItsOptions() {
        var r = KastorRun.in(tmp).run("artifact", "push", "--help");

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("--insecure-registry", "--creds", "--ca-file", "--retries", "--dotenv", "--output", "--path",
                "--reproducible", "--annotation", "--ignore-paths", "oci-layout:");
    }

    @Test
    void versionPrintsTheProjectVersion() {
        var r = KastorRun.in(tmp).run("--version");

        assertThat(r.exit()).as(r.toString()).isZero();
        // "unknown" would mean version.properties was not filtered into the jar.
        assertThat(r.out().strip()).matches("kastor \\d+\\.\\d+\\.\\d+(-SNAPSHOT)? .*");
    }

    @Test
    void imageWithoutVerbIsAUsageErrorListingTheVerbs() {
        var r = KastorRun.in(tmp).run("image");

        assertThat(r.exit()).as(r.toString()).isEqualTo(2);
        assertThat(r.errLines().get(0)).contains("build", "tag");
    }

    @Test
    void helpOfAGroupNotNamedFirstIsComplete() {
        // Only the group named on the command line is fully built at start-up; help must still see every group.
        var r = KastorRun.in(tmp).run("help", "image");

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("build", "tag", "without a Docker daemon");
    }

    @Test
    void artifactWithoutVerbIsAUsageErrorListingTheVerbs() {
        var r = KastorRun.in(tmp).run("artifact");

        assertThat(r.exit()).as(r.toString()).isEqualTo(2);
        assertThat(r.errLines().get(0)).contains("push", "pull", "tag", "diff", "list");
    }
}
