package dev.kastor.bridge.flux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.Bridge;
import dev.kastor.bridge.GitHttpServer;
import dev.kastor.bridge.agentapp.Agent;
import dev.kastor.bridge.flux.server.FluxServerDefaults;
import dev.kastor.bridge.flux.server.Posts;
import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.testing.Eventually;
import dev.kastor.testing.Programs;
import dev.kastor.testing.RegistryServer;
import dev.kastor.testing.kube.KubeStandIn;
import dev.kastor.testing.kube.NotificationControllerStandIn;
import dev.kastor.testing.kube.RegistryTags;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The flux feature end to end, with real parts where they can run here: a real registry whose notifications go to a
 * real KAS, a real Git server (git-http-backend) KAS polls, a real agent on the Kubernetes API stand-in, and Flux's
 * webhook receiver played by {@link NotificationControllerStandIn}, which checks the hook path by Flux's own rule.
 * Each test uses its own namespace.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class FluxReceiversTest {
    static final String CONFIG_PROJECT = "platform/agents";
    static final String REGISTRY_HOST = "registry.example.com";
    static final String REGISTRY_TOKEN = "registry-notifications-token-e2e";
    static final String HOOK_SECRET = "flux-webhook-secret-e2e";
    static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    static Path dir;
    static KubeStandIn kube;
    static NotificationControllerStandIn flux;
    static GitHttpServer git;
    static Bridge bridge;
    static RegistryServer registry;
    static Agent agent;
    static final ByteArrayOutputStream agentLog = new ByteArrayOutputStream();

    @BeforeAll
    static void start() throws Exception {
        kube = KubeStandIn.start();
        flux = NotificationControllerStandIn.start(kube.client());
        kube.proxyService("flux-system", "webhook-receiver", flux.url());
        git = GitHttpServer.start(Files.createDirectories(dir.resolve("git")));
        git.createRepo(CONFIG_PROJECT);
        git.commit(CONFIG_PROJECT, ".gitlab/agents/flux/config.yaml", "flux:\n  webhook_receiver_url: " + flux.url() + "\n");
        git.createRepo("group/app");
        git.commit("group/app", "app.yaml", "kind: ConfigMap\n");
        String gitPrefix = git.urlTemplate().substring(0, git.urlTemplate().indexOf("{project}"));
        var fluxSection = new KasConfig.Flux(Files.writeString(dir.resolve("hook-secret"), HOOK_SECRET).toString(), "1s", List.of(gitPrefix),
                List.of(new KasConfig.Registry(REGISTRY_HOST, Files.writeString(dir.resolve("registry-token"), REGISTRY_TOKEN).toString())));
        bridge = Bridge.withFlux(Files.createDirectories(dir.resolve("kas")), fluxSection,
                new KasConfig.AgentConfiguration(git.urlTemplate(), null, null, "1s", null, null, null), null, null);
        registry = RegistryServer.builder()
                .notifications(bridge.apiUrl().resolve(FluxServerDefaults.REGISTRY_EVENTS_PATH).toString(), "Bearer " + REGISTRY_TOKEN).start();
        var registered = bridge.register(CONFIG_PROJECT, "flux");
        agent = bridge.startAgent(registered.token(), URI.create(kube.url()), kube.sslContext(),
                new JsonLog(new PrintStream(agentLog, true, StandardCharsets.UTF_8), "agent"));
    }

    @AfterAll
    static void stop() {
        Programs.closeAll(agent, registry, bridge, git, flux, kube);
    }

    static void await(String what, Eventually.Probe<Boolean, Exception> condition) throws Exception {
        Eventually.until(WAIT, () -> what + "\nagent log:\n" + agentLog.toString(StandardCharsets.UTF_8) + "\nKAS log:\n" + bridge.logText()
                + "\nhooks: " + flux.calls() + " refused: " + flux.refused(), condition);
    }

    static GenericKubernetesResource oci(String ns, String name, String repository, Map<String, Object> ref) {
        var spec = new java.util.HashMap<String, Object>(Map.of("url", "oci://" + repository, "interval", "10m"));
        if (ref != null) spec.put("ref", ref);
        return kube.create(KubeStandIn.OCI_REPOSITORY, ns, name, spec);
    }

    static boolean receiverExists(String ns, String name) {
        return kube.get(KubeStandIn.RECEIVER, ns, name) != null && kube.client().secrets().inNamespace(ns).withName(name).get() != null;
    }

    static long callsTo(String ns, String receiver) {
        return flux.calls().stream().filter(c -> c.namespace().equals(ns) && c.receiver().equals(receiver)).count();
    }

    @Test
    void receiversAppearForTheInstancesSourcesOnlyAndGoWithThem() throws Exception {
        oci("lifecycle", "app", REGISTRY_HOST + "/group/app", null);
        oci("lifecycle", "elsewhere", "ghcr.io/group/app", null);
        kube.create(KubeStandIn.GIT_REPOSITORY, "lifecycle", "repo", Map.of("url", git.url("group/app"), "interval", "10m"));
        await("receivers for the instance's sources", () -> receiverExists("lifecycle", "kastor-oci-app") && receiverExists("lifecycle", "kastor-git-repo"));

        var receiver = kube.get(KubeStandIn.RECEIVER, "lifecycle", "kastor-oci-app");
        assertThat(receiver.getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by", "kastor-agent");
        assertThat(receiver.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> assertThat(o.getName()).isEqualTo("app"));
        @SuppressWarnings("unchecked") var spec = (Map<String, Object>) receiver.getAdditionalProperties().get("spec");
        assertThat(spec).containsEntry("type", "generic").containsEntry("secretRef", Map.of("name", "kastor-oci-app"))
                .containsEntry("resources", List.of(Map.of("apiVersion", "source.toolkit.fluxcd.io/v1", "kind", "OCIRepository", "name", "app")));
        assertThat(kube.get(KubeStandIn.RECEIVER, "lifecycle", "kastor-oci-elsewhere")).isNull();

        kube.client().genericKubernetesResources(KubeStandIn.OCI_REPOSITORY).inNamespace("lifecycle").withName("app").delete();
        await("the receiver and its secret gone with the source", () -> !receiverExists("lifecycle", "kastor-oci-app")
                && kube.client().secrets().inNamespace("lifecycle").withName("kastor-oci-app").get() == null);
        assertThat(receiverExists("lifecycle", "kastor-git-repo")).isTrue();
    }

    @Test
    void aRegistryPushCallsTheReceiversOfTheOciRepositoriesFollowingItAndNoOther() throws Exception {
        oci("registry", "app", REGISTRY_HOST + "/group/app", null);
        oci("registry", "pinned", REGISTRY_HOST + "/group/app", Map.of("tag", "v0"));
        oci("registry", "other", REGISTRY_HOST + "/group/other", null);
        await("three receivers", () -> receiverExists("registry", "kastor-oci-app") && receiverExists("registry", "kastor-oci-pinned")
                && receiverExists("registry", "kastor-oci-other"));

        RegistryTags.push("oci://" + registry.host() + "/group/app", "latest", "app v1".getBytes(StandardCharsets.UTF_8));

        await("the receiver of the repository's latest called", () -> callsTo("registry", "kastor-oci-app") == 1);
        quietSpan();
        assertThat(callsTo("registry", "kastor-oci-pinned")).as("follows v0, not latest").isZero();
        assertThat(callsTo("registry", "kastor-oci-other")).isZero();
        assertThat(flux.refused()).isEmpty();
    }

    @Test
    void aGitPushWebhookCallsTheGitRepositorysReceiverAndAWrongTokenNothing() throws Exception {
        kube.create(KubeStandIn.GIT_REPOSITORY, "webhook", "repo", Map.of("url", git.url("group/hooked"), "interval", "10m"));
        await("the GitRepository's receiver", () -> receiverExists("webhook", "kastor-git-repo"));

        assertThat(pushHook("wrong-secret", "group/hooked").statusCode()).isEqualTo(401);
        assertThat(pushHook(HOOK_SECRET, "group/unrelated").statusCode()).isEqualTo(202);
        assertThat(pushHook(HOOK_SECRET, "group/hooked").statusCode()).isEqualTo(202);

        await("a call, from the right push", () -> callsTo("webhook", "kastor-git-repo") >= 1);
        quietSpan();
        assertThat(callsTo("webhook", "kastor-git-repo")).as("one call: the wrong token and the other project made none").isEqualTo(1);
    }

    @Test
    void theRefPollerCallsTheReceiverOfAProjectPushedToWithoutAnyWebhook() throws Exception {
        git.createRepo("group/polled");
        git.commit("group/polled", "a.yaml", "kind: ConfigMap\n");
        kube.create(KubeStandIn.GIT_REPOSITORY, "polled", "repo", Map.of("url", git.url("group/polled"), "interval", "10m"));
        await("the GitRepository's receiver", () -> receiverExists("polled", "kastor-git-repo"));
        // KAS polls every second; its first look at a project never notifies: let a whole round pass after the agent
        // named the project, so the push below is a change KAS sees.
        long before = refPolls();
        await("two more ref poll rounds", () -> refPolls() >= before + 2);

        git.commit("group/polled", "b.yaml", "kind: Secret\n");

        await("the receiver called after the push", () -> callsTo("polled", "kastor-git-repo") >= 1);
    }

    static long refPolls() throws Exception {
        var m = java.util.regex.Pattern.compile("kastor_kas_flux_ref_polls_total (\\d+)").matcher(Posts.get(bridge.apiUrl(), "/metrics").body());
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /**
     * An absence shows only over a span: the agent makes every call of one push at once, in parallel, so calls that
     * should not happen would have happened within this one (local HTTP takes milliseconds).
     */
    static void quietSpan() throws InterruptedException {
        Thread.sleep(1000);
    }

    static HttpResponse<String> pushHook(String token, String project) throws Exception {
        return Posts.pushHook(bridge.apiUrl(), token, "Push Hook", project);
    }
}
