package dev.kastor.bridge.flux.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.Bridge;
import dev.kastor.bridge.agents.AgentStore;
import dev.kastor.bridge.agents.RevocationSweep;
import dev.kastor.bridge.flux.rpc.FluxEvent;
import dev.kastor.bridge.flux.rpc.GitPush;
import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.testing.Eventually;
import dev.kastor.testing.Programs;
import io.grpc.Status;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** GitLab's push webhook on KAS reaches every connected agent's Watch call as a GitPush; a wrong token triggers nothing. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GitPushWebhookTest {
    static final String SECRET = "flux-webhook-secret-7";

    @TempDir
    static Path dir;
    static Bridge bridge;
    static URI api;

    @BeforeAll
    static void start() throws Exception {
        Path secret = Files.writeString(dir.resolve("flux-webhook-secret"), SECRET + "\n");
        bridge = Bridge.withFlux(Files.createDirectories(dir.resolve("kas")), new KasConfig.Flux(secret.toString(), "off", null,
                List.of(new KasConfig.Registry("registry.example.com", null))), null, null, null);
        api = bridge.apiUrl();
    }

    @AfterAll
    static void stop() {
        Programs.closeAll(bridge);
    }

    WatchClient watch(String name) {
        return new WatchClient(bridge.kas.agentPort(), bridge.register("group/agents", name).token());
    }

    static FluxEvent gitPush(String project) {
        return FluxEvent.newBuilder().setGitPush(GitPush.newBuilder().setProject(project)).build();
    }

    @Test
    void watchOpensWithTheInstanceFromGitlabUrlAndTheConfiguredRegistries() throws Exception {
        try (var agent = watch("instance")) {
            var instance = agent.next().getInstance();

            String host = URI.create(bridge.gitlab.url()).getAuthority();
            assertThat(instance.getGitUrlPrefixesList()).containsExactly("https://" + host + "/", "http://" + host + "/",
                    "ssh://git@127.0.0.1/", "git@127.0.0.1:");
            assertThat(instance.getRegistriesList()).containsExactly("registry.example.com");
        }
    }

    @Test
    void pushHookReachesEveryAgentsWatchAsGitPush() throws Exception {
        try (var one = watch("one"); var two = watch("two")) {
            one.next();
            two.next();

            var r = Posts.pushHook(api, SECRET, "Push Hook", "group/app");

            assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
            assertThat(one.next()).isEqualTo(gitPush("group/app"));
            assertThat(two.next()).isEqualTo(gitPush("group/app"));
            assertThat(Posts.pushHook(api, SECRET, "Tag Push Hook", "group/tagged").statusCode()).isEqualTo(202);
            assertThat(one.next()).isEqualTo(gitPush("group/tagged"));
        }
    }

    @Test
    void wrongOrMissingTokenIs401AndOtherInputIs400AndNothingArrives() throws Exception {
        try (var agent = watch("refused")) {
            agent.next();

            assertThat(Posts.pushHook(api, "wrong", "Push Hook", "group/wrong").statusCode()).isEqualTo(401);
            assertThat(Posts.pushHook(api, null, "Push Hook", "group/missing").statusCode()).isEqualTo(401);
            assertThat(Posts.pushHook(api, SECRET, "Issue Hook", "group/issue").statusCode()).isEqualTo(400);
            assertThat(Posts.post(api, FluxServerDefaults.GIT_PUSH_PATH, "{not json", "X-Gitlab-Event", "Push Hook", "X-Gitlab-Token", SECRET)
                    .statusCode()).isEqualTo(400);
            assertThat(Posts.post(api, FluxServerDefaults.GIT_PUSH_PATH, "{\"project\":{}}", "X-Gitlab-Event", "Push Hook", "X-Gitlab-Token", SECRET)
                    .statusCode()).isEqualTo(400);
            // What follows the refusals is the first event the agent gets: none of them triggered anything.
            assertThat(Posts.pushHook(api, SECRET, "Push Hook", "group/marker").statusCode()).isEqualTo(202);
            assertThat(agent.next()).isEqualTo(gitPush("group/marker"));
            assertThat(bridge.logText()).doesNotContain(SECRET);
        }
    }

    @Test
    void systemHookOfAPushCountsAndShowsInMetrics() throws Exception {
        try (var agent = watch("system")) {
            agent.next();
            var r = Posts.post(api, FluxServerDefaults.GIT_PUSH_PATH,
                    "{\"event_name\":\"push\",\"project\":{\"path_with_namespace\":\"group/system\"}}",
                    "X-Gitlab-Event", "System Hook", "X-Gitlab-Token", SECRET);

            assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
            assertThat(agent.next()).isEqualTo(gitPush("group/system"));
            assertThat(Posts.get(api, "/metrics").body()).containsPattern("kastor_kas_flux_events_received_total\\{source=\"git_webhook\"} [1-9]")
                    .containsPattern("kastor_kas_flux_events_delivered_total [1-9]").contains("kastor_kas_flux_watches ");
        }
    }

    @Test
    void revokingAnAgentEndsItsWatch() throws Exception {
        var reg = bridge.register("group/agents", "revoked");
        try (var agent = new WatchClient(bridge.kas.agentPort(), reg.token())) {
            agent.next();

            new AgentStore(dir.resolve("kas/agents.json")).revoke(reg.agent().id());

            Status end = agent.ended.get(RevocationSweep.EVERY.multipliedBy(10).toMillis(), TimeUnit.MILLISECONDS);
            assertThat(end.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
            // the sweep logs once it has ended the calls, so the line may follow the end the agent saw
            Eventually.until(Duration.ofSeconds(10), () -> "the sweep's log line:\n" + bridge.logText(),
                    () -> bridge.logText().contains("ended the flux streams of a revoked agent"));
        }
    }
}
