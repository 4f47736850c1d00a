package dev.kastor.citemplates;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.testing.kube.KubeStandIn;
import dev.kastor.testing.Programs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's "Try it on one machine" runs as written on a machine set up with the README's first command: the
 * snippet is pasted into bash from the repository's root, only its registry port made a free one (the README's 5000
 * may be taken on a test machine), through {@code KASTOR_LOCAL_REGISTRY_PORT}, which {@code scripts/local-registry}
 * reads.
 */
class ReadmeTryItTest {

    /** The snippet as bash runs it from the repository's root, on {@code port} instead of 5000. */
    static String pasted(String snippet, int port) {
        return "set -euo pipefail\ncd '" + Repo.ROOT + "'\nexport KASTOR_LOCAL_REGISTRY_PORT=" + port + "\n"
                + Readme.snippet(snippet).replace("127.0.0.1:5000", "127.0.0.1:" + port);
    }

    @Test
    void theLocalRegistrySnippetPushesListsPullsAndDiffsAndStopsItsRegistry() {
        int port = Programs.freePort();
        String script = pasted("try-registry", port);

        var first = Programs.run(List.of("bash", "-c", script), 120);
        assertThat(first.exit()).as(first.stderr() + first.stdout()).isZero();
        assertThat(first.stdout())
                .contains("pushed oci://127.0.0.1:" + port + "/podinfo/manifests:v1@sha256:")
                .contains("examples/podinfo is identical to")
                .contains("KASTOR_ARTIFACT_DIGEST=sha256:");
        assertThat(first.stderr()).contains("local-registry: stopped 127.0.0.1:" + port);
        // stopped for real: the port is free again
        assertThat(Programs.run(List.of("curl", "-s", "-o", "/dev/null", "--max-time", "2", "http://127.0.0.1:" + port + "/v2/"), 10).exit())
                .isNotZero();

        // pasted again, the same tree gives the same digest
        var second = Programs.run(List.of("bash", "-c", script), 120);
        assertThat(second.exit()).as(second.stderr()).isZero();
        assertThat(digest(second.stdout())).isEqualTo(digest(first.stdout()));
    }

    private static String digest(String out) {
        var m = Pattern.compile("pushed \\S+@(sha256:[0-9a-f]{64})").matcher(out);
        assertThat(m.find()).as(out).isTrue();
        return m.group(1);
    }

    @Test
    void theImageSnippetBuildsOntoScratchOntoItsOwnImageAndIntoALayoutThenRetags() {
        int port = Programs.freePort();
        var run = Programs.run(List.of("bash", "-c", pasted("try-image", port)), 180);
        assertThat(run.exit()).as(run.stderr() + run.stdout()).isZero();
        assertThat(run.stdout())
                .contains("built 127.0.0.1:" + port + "/demo/site:v1@sha256:")
                .contains("\"image\":\"127.0.0.1:" + port + "/demo/app:v1\"")
                .contains("built oci-layout:")
                .contains("as 1.0.0, stable");
    }

    /**
     * The README's tunnel try-out: KAS and an agent from the launchers, the job's KUBECONFIG, kubectl and
     * {@code kastor kube apply} through them. The "cluster in your current kubeconfig context" is the Kubernetes API
     * stand-in (no real API server runs here); the three KAS ports are made free ones.
     */
    @Test
    void theTunnelSnippetReachesTheClusterThroughKasAndTheAgentAsACiJobWould() throws Exception {
        try (var kube = KubeStandIn.withCoreDiscovery()) {
            Path dir = Files.createTempDirectory("kastor-try-tunnel");
            Path current = kube.writeDirectKubeconfig(dir.resolve("current-context"), "agent-sa-token");
            String snippet = Readme.snippet("try-tunnel");
            for (String port : List.of("8150", "8153", "8154")) {
                snippet = snippet.replace("127.0.0.1:" + port, "127.0.0.1:" + Programs.freePort());
            }
            String script = "set -euo pipefail\ncd '" + Repo.ROOT + "'\nexport KUBECONFIG='" + current + "'\n" + snippet;

            var run = Programs.run(List.of("bash", "-c", script), 180);

            assertThat(run.exit()).as(run.stderr() + run.stdout()).isZero();
            assertThat(run.stdout()).contains("podinfo");
            assertThat(kube.client().apps().deployments().inNamespace("podinfo").withName("podinfo").get()).isNotNull();
            assertThat(kube.serverSideApplies()).isNotEmpty(); // kastor kube apply's server-side apply reached the cluster
        }
    }
}
