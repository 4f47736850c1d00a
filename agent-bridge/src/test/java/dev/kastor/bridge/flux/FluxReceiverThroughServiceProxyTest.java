package dev.kastor.bridge.flux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.Bridge;
import dev.kastor.bridge.GitHttpServer;
import dev.kastor.bridge.agentapp.Agent;
import dev.kastor.bridge.flux.server.Posts;
import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.testing.Eventually;
import dev.kastor.testing.Programs;
import dev.kastor.testing.kube.KubeStandIn;
import dev.kastor.testing.kube.NotificationControllerStandIn;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code flux.webhook_receiver_url} as a service proxy path: the agent calls the Receiver through the API server
 * with its own credentials (here the API stand-in's service proxy, in front of the notification-controller stand-in,
 * which the agent is given no other way to reach); and a cluster without Flux's kinds gets no Receiver at all.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FluxReceiverThroughServiceProxyTest {
    static final String SECRET = "flux-webhook-secret-proxy";

    @TempDir
    Path dir;

    @Test
    void theReceiverIsCalledThroughTheApiServersServiceProxy() throws Exception {
        var agentLog = new ByteArrayOutputStream();
        try (var kube = KubeStandIn.start(); var flux = NotificationControllerStandIn.start(kube.client());
             var git = GitHttpServer.start(Files.createDirectories(dir.resolve("git")))) {
            kube.proxyService("flux-system", "webhook-receiver", flux.url());
            git.createRepo("platform/agents");
            git.commit("platform/agents", ".gitlab/agents/proxied/config.yaml",
                    "flux:\n  webhook_receiver_url: /api/v1/namespaces/flux-system/services/http:webhook-receiver:80/proxy\n");
            try (var bridge = bridge(git); var agent = agent(bridge, kube, agentLog)) {
                kube.create(KubeStandIn.GIT_REPOSITORY, "apps", "repo", Map.of("url", git.url("group/app"), "interval", "10m"));
                Eventually.until(Duration.ofSeconds(30), () -> "the receiver kept and the config applied:\n" + agentLog,
                        () -> kube.get(KubeStandIn.RECEIVER, "apps", "kastor-git-repo") != null
                                && agentLog.toString(StandardCharsets.UTF_8).contains("configuration applied"));

                assertThat(pushHook(bridge, "group/app").statusCode()).isEqualTo(202);

                Eventually.until(Duration.ofSeconds(30), () -> "the receiver called through the service proxy:\n" + agentLog + "\nrefused: "
                        + flux.refused(), () -> flux.calls().contains(new NotificationControllerStandIn.Call("apps", "kastor-git-repo")));
            }
        }
    }

    @Test
    void withoutFluxsKindsTheAgentKeepsNoReceiverAndSaysSoOnce() throws Exception {
        var agentLog = new ByteArrayOutputStream();
        try (var kube = KubeStandIn.start(); var git = GitHttpServer.start(Files.createDirectories(dir.resolve("git")))) {
            git.createRepo("platform/agents");
            git.commit("platform/agents", ".gitlab/agents/proxied/config.yaml", "observability: {logging: {level: info}}\n");
            // Flux's source-controller not installed (the stand-in would store the objects anyway: a real API server
            // answers 404 for a kind without its CRD)
            kube.client().apiextensions().v1().customResourceDefinitions().withName("gitrepositories.source.toolkit.fluxcd.io").delete();
            kube.client().apiextensions().v1().customResourceDefinitions().withName("ocirepositories.source.toolkit.fluxcd.io").delete();
            kube.create(KubeStandIn.GIT_REPOSITORY, "apps", "repo", Map.of("url", git.url("group/app"), "interval", "10m"));
            try (var bridge = bridge(git); var agent = agent(bridge, kube, agentLog)) {
                Eventually.until(Duration.ofSeconds(30), () -> "the agent says Flux is missing:\n" + agentLog,
                        () -> agentLog.toString(StandardCharsets.UTF_8).contains("Flux kinds missing (GitRepository, OCIRepository)"));
                assertThat(kube.client().genericKubernetesResources(KubeStandIn.RECEIVER).inAnyNamespace().list().getItems()).isEmpty();
                assertThat(agentLog.toString(StandardCharsets.UTF_8).split("Flux kinds missing", -1)).hasSize(2);
            }
        }
    }

    @Test
    void withoutFluxsReceiverKindTheAgentWritesNeitherReceiverNorSecret() throws Exception {
        var agentLog = new ByteArrayOutputStream();
        try (var kube = KubeStandIn.start(); var git = GitHttpServer.start(Files.createDirectories(dir.resolve("git")))) {
            git.createRepo("platform/agents");
            git.commit("platform/agents", ".gitlab/agents/proxied/config.yaml", "observability: {logging: {level: info}}\n");
            // notification-controller not installed
            kube.client().apiextensions().v1().customResourceDefinitions().withName("receivers.notification.toolkit.fluxcd.io").delete();
            kube.create(KubeStandIn.GIT_REPOSITORY, "apps", "repo", Map.of("url", git.url("group/app"), "interval", "10m"));
            try (var bridge = bridge(git); var agent = agent(bridge, kube, agentLog)) {
                Eventually.until(Duration.ofSeconds(30), () -> "the agent says Receiver is missing:\n" + agentLog,
                        () -> agentLog.toString(StandardCharsets.UTF_8).contains("Flux kinds missing (Receiver)"));
                assertThat(kube.client().secrets().inNamespace("apps").withName("kastor-git-repo").get()).isNull();
            }
        }
    }

    private Bridge bridge(GitHttpServer git) throws Exception {
        String prefix = git.urlTemplate().substring(0, git.urlTemplate().indexOf("{project}"));
        var flux = new KasConfig.Flux(Files.writeString(dir.resolve("hook-secret"), SECRET).toString(), "off", List.of(prefix), List.of());
        return Bridge.withFlux(Files.createDirectories(dir.resolve("kas")), flux,
                new KasConfig.AgentConfiguration(git.urlTemplate(), null, null, "1s", null, null, null), null, null);
    }

    private static Agent agent(Bridge bridge, KubeStandIn kube, ByteArrayOutputStream log) throws Exception {
        var registered = bridge.register("platform/agents", "proxied");
        return bridge.startAgent(registered.token(), URI.create(kube.url()), kube.sslContext(),
                new JsonLog(new PrintStream(log, true, StandardCharsets.UTF_8), "agent"));
    }

    private static HttpResponse<String> pushHook(Bridge bridge, String project) throws Exception {
        return Posts.pushHook(bridge.apiUrl(), SECRET, "Push Hook", project);
    }
}
