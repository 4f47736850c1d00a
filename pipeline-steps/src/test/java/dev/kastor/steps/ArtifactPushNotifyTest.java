package dev.kastor.steps;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.Bridge;
import dev.kastor.bridge.GitHttpServer;
import dev.kastor.bridge.agentapp.Agent;
import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.testing.Eventually;
import dev.kastor.testing.Programs;
import dev.kastor.testing.RegistryServer;
import dev.kastor.testing.kube.KubeStandIn;
import dev.kastor.testing.kube.NotificationControllerStandIn;
import java.net.URI;
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
 * {@code kastor artifact push} reaching Flux at once through a real KAS and agent: with {@code --notify}, the job's
 * agent calls the Receiver of the OCIRepository following the pushed tag (Flux's webhook receiver played by the
 * notification-controller stand-in), and a notification KAS refuses fails the step after the artifact and its outputs
 * are written; without it, a second real registry's own notifications do the same.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ArtifactPushNotifyTest {
    static final String JOB_TOKEN = "job-token-notify-7";
    static final String NOTIFYING_HOST = "registry.example.com";
    static final String NOTIFICATIONS_TOKEN = "registry-notifications-token-7";

    @TempDir
    static Path dir;
    static RegistryServer registry;
    /** Sends its notifications to KAS, which knows it as {@link #NOTIFYING_HOST} (its own address is a free port). */
    static RegistryServer notifying;
    static KubeStandIn kube;
    static NotificationControllerStandIn flux;
    static GitHttpServer git;
    static Bridge bridge;
    static Agent agent;

    @BeforeAll
    static void start() throws Exception {
        registry = RegistryServer.start();
        kube = KubeStandIn.start();
        flux = NotificationControllerStandIn.start(kube.client());
        git = GitHttpServer.start(Files.createDirectories(dir.resolve("git")));
        git.createRepo("platform/agents");
        git.commit("platform/agents", ".gitlab/agents/prod/config.yaml", "flux:\n  webhook_receiver_url: " + flux.url() + "\n");
        bridge = Bridge.withFlux(Files.createDirectories(dir.resolve("kas")), new KasConfig.Flux(null, "off", List.of(),
                List.of(new KasConfig.Registry(registry.host(), null), new KasConfig.Registry(NOTIFYING_HOST,
                        Files.writeString(dir.resolve("notifications-token"), NOTIFICATIONS_TOKEN).toString()))),
                new KasConfig.AgentConfiguration(git.urlTemplate(), null, null, "1s", null, null, null), null, null);
        notifying = RegistryServer.builder().notifications(bridge.apiUrl() + "/api/v1/flux/registry-events", "Bearer " + NOTIFICATIONS_TOKEN).start();
        var registered = bridge.register("platform/agents", "prod");
        bridge.job(JOB_TOKEN, 4242, 77, "group/app", registered.agent().id());
        agent = bridge.startAgent(registered.token(), URI.create(kube.url()), kube.sslContext(), JsonLog.quiet());
        kube.create(KubeStandIn.OCI_REPOSITORY, "apps", "app", Map.of("url", "oci://" + registry.host() + "/group/app", "interval", "10m",
                "ref", Map.of("tag", "main")));
        kube.create(KubeStandIn.OCI_REPOSITORY, "apps", "notified", Map.of("url", "oci://" + NOTIFYING_HOST + "/group/notified",
                "interval", "10m", "ref", Map.of("tag", "main")));
        Eventually.until(Duration.ofSeconds(30), () -> "the agent keeps the OCIRepositories' receivers",
                () -> kube.get(KubeStandIn.RECEIVER, "apps", "kastor-oci-app") != null && kube.get(KubeStandIn.RECEIVER, "apps", "kastor-oci-notified") != null);
    }

    @AfterAll
    static void stop() {
        Programs.closeAll(agent, notifying, bridge, git, flux, kube, registry);
    }

    private Path deploy() {
        return Artifacts.write(dir.resolve("deploy"), Map.of("app.yaml", "kind: ConfigMap\n"));
    }

    @Test
    void theJobsAgentCallsTheReceiverOfTheOciRepositoryFollowingThePushedTag() throws Exception {
        var r = KastorRun.in(dir).env("CI_JOB_TOKEN", JOB_TOKEN).env("KASTOR_KAS_API_URL", bridge.apiUrl().toString())
                .run("artifact", "push", deploy().toString(), "oci://" + registry.host() + "/group/app:main", "--insecure-registry", "--notify",
                        "--output", "json");

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.json().path("notified").path("agents").asInt()).isEqualTo(1);
        Eventually.until(Duration.ofSeconds(30), () -> "the receiver called; refused: " + flux.refused(),
                () -> flux.calls().contains(new NotificationControllerStandIn.Call("apps", "kastor-oci-app")));
        r.assertLeaksNone("", JOB_TOKEN);
    }

    @Test
    void aRefusedNotificationFailsTheStepAfterThePushAndItsOutputs() throws Exception {
        Path dotenv = dir.resolve("artifact.env");
        var r = KastorRun.in(dir).env("CI_JOB_TOKEN", "not-a-job-token").env("KASTOR_KAS_API_URL", bridge.apiUrl().toString())
                .run("artifact", "push", deploy().toString(), "oci://" + registry.host() + "/group/refused:main", "--insecure-registry", "--notify",
                        "--dotenv", dotenv.toString());

        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("the artifact was pushed, but KAS").contains("(401)").contains("spec.interval").doesNotContain("not-a-job-token");
        assertThat(Files.readString(dotenv)).contains("KASTOR_ARTIFACT_DIGEST=sha256:");
    }

    @Test
    void withoutNotifyTheRegistrysOwnNotificationsReachTheReceiver() throws Exception {
        var r = KastorRun.in(dir).run("artifact", "push", deploy().toString(), "oci://" + notifying.host() + "/group/notified:main", "--insecure-registry");

        assertThat(r.exit()).as(r.toString()).isZero();
        Eventually.until(Duration.ofSeconds(30), () -> "the receiver called; refused: " + flux.refused() + "\nKAS log:\n" + bridge.logText(),
                () -> flux.calls().contains(new NotificationControllerStandIn.Call("apps", "kastor-oci-notified")));
    }
}
