package dev.kastor.bridge.flux;

import static dev.kastor.bridge.flux.FluxChain.HOOK_SECRET;
import static dev.kastor.bridge.flux.FluxChain.REGISTRY_HOST;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.flux.server.Posts;
import dev.kastor.testing.kube.KubeStandIn;
import dev.kastor.testing.kube.NotificationControllerStandIn;
import dev.kastor.testing.kube.RegistryTags;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The flux feature end to end, with real parts where they can run here ({@link FluxChain}, one KAS): a real registry
 * whose notifications go to a real KAS, a real Git server (git-http-backend) KAS polls, a real agent on the Kubernetes
 * API stand-in, and Flux's webhook receiver played by {@link NotificationControllerStandIn}, which checks the hook path
 * by Flux's own rule. Each test uses its own namespace.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class FluxReceiversTest {
    @TempDir
    static Path dir;
    /** KAS polls agents' config files and projects' refs every second. */
    static FluxChain chain;

    @BeforeAll
    static void start() throws Exception {
        chain = FluxChain.oneKas(dir, "1s");
    }

    @AfterAll
    static void stop() {
        if (chain != null) chain.close();
    }

    @Test
    void receiversAppearForTheInstancesSourcesOnlyAndGoWithThem() throws Exception {
        chain.oci("lifecycle", "app", REGISTRY_HOST + "/group/app", null);
        chain.oci("lifecycle", "elsewhere", "ghcr.io/group/app", null);
        chain.gitRepository("lifecycle", "repo", "group/app");
        chain.await("receivers for the instance's sources", () -> chain.receiverExists("lifecycle", "kastor-oci-app")
                && chain.receiverExists("lifecycle", "kastor-git-repo"));

        var receiver = chain.kube.get(KubeStandIn.RECEIVER, "lifecycle", "kastor-oci-app");
        assertThat(receiver.getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by", "kastor-agent");
        assertThat(receiver.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> assertThat(o.getName()).isEqualTo("app"));
        @SuppressWarnings("unchecked") var spec = (Map<String, Object>) receiver.getAdditionalProperties().get("spec");
        assertThat(spec).containsEntry("type", "generic").containsEntry("secretRef", Map.of("name", "kastor-oci-app"))
                .containsEntry("resources", List.of(Map.of("apiVersion", "source.toolkit.fluxcd.io/v1", "kind", "OCIRepository", "name", "app")));
        assertThat(chain.kube.get(KubeStandIn.RECEIVER, "lifecycle", "kastor-oci-elsewhere")).isNull();

        chain.kube.client().genericKubernetesResources(KubeStandIn.OCI_REPOSITORY).inNamespace("lifecycle").withName("app").delete();
        chain.await("the receiver and its secret gone with the source", () -> !chain.receiverExists("lifecycle", "kastor-oci-app")
                && chain.kube.client().secrets().inNamespace("lifecycle").withName("kastor-oci-app").get() == null);
        assertThat(chain.receiverExists("lifecycle", "kastor-git-repo")).isTrue();
    }

    @Test
    void aRegistryPushCallsTheReceiversOfTheOciRepositoriesFollowingItAndNoOther() throws Exception {
        chain.oci("registry", "app", REGISTRY_HOST + "/group/app", null);
        chain.oci("registry", "pinned", REGISTRY_HOST + "/group/app", Map.of("tag", "v0"));
        chain.oci("registry", "other", REGISTRY_HOST + "/group/other", null);
        chain.await("three receivers", () -> chain.receiverExists("registry", "kastor-oci-app") && chain.receiverExists("registry", "kastor-oci-pinned")
                && chain.receiverExists("registry", "kastor-oci-other"));

        RegistryTags.push("oci://" + chain.registry.host() + "/group/app", "latest", "app v1".getBytes(StandardCharsets.UTF_8));

        chain.await("the receiver of the repository's latest called", () -> chain.callsTo("registry", "kastor-oci-app") == 1);
        quietSpan();
        assertThat(chain.callsTo("registry", "kastor-oci-pinned")).as("follows v0, not latest").isZero();
        assertThat(chain.callsTo("registry", "kastor-oci-other")).isZero();
        assertThat(chain.flux.refused()).isEmpty();
    }

    @Test
    void aGitPushWebhookCallsTheGitRepositorysReceiverAndAWrongTokenNothing() throws Exception {
        chain.gitRepository("webhook", "repo", "group/hooked");
        chain.await("the GitRepository's receiver", () -> chain.receiverExists("webhook", "kastor-git-repo"));

        assertThat(chain.pushHook("wrong-secret", "group/hooked").statusCode()).isEqualTo(401);
        assertThat(chain.pushHook(HOOK_SECRET, "group/unrelated").statusCode()).isEqualTo(202);
        assertThat(chain.pushHook(HOOK_SECRET, "group/hooked").statusCode()).isEqualTo(202);

        chain.await("a call, from the right push", () -> chain.callsTo("webhook", "kastor-git-repo") >= 1);
        quietSpan();
        assertThat(chain.callsTo("webhook", "kastor-git-repo")).as("one call: the wrong token and the other project made none").isEqualTo(1);
    }

    @Test
    void theRefPollerCallsTheReceiverOfAProjectPushedToWithoutAnyWebhook() throws Exception {
        chain.git.createRepo("group/polled");
        chain.git.commit("group/polled", "a.yaml", "kind: ConfigMap\n");
        chain.gitRepository("polled", "repo", "group/polled");
        chain.await("the GitRepository's receiver", () -> chain.receiverExists("polled", "kastor-git-repo"));
        // KAS polls every second; its first look at a project never notifies: let a whole round pass after the agent
        // named the project, so the push below is a change KAS sees.
        long before = refPolls();
        chain.await("two more ref poll rounds", () -> refPolls() >= before + 2);

        chain.git.commit("group/polled", "b.yaml", "kind: Secret\n");

        chain.await("the receiver called after the push", () -> chain.callsTo("polled", "kastor-git-repo") >= 1);
    }

    static long refPolls() throws Exception {
        var m = java.util.regex.Pattern.compile("kastor_kas_flux_ref_polls_total (\\d+)").matcher(Posts.get(chain.front.apiUrl(), "/metrics").body());
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /**
     * An absence shows only over a span: the agent makes every call of one push at once, in parallel, so calls that
     * should not happen would have happened within this one (local HTTP takes milliseconds).
     */
    static void quietSpan() throws InterruptedException {
        Thread.sleep(1000);
    }
}
