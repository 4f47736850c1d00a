package dev.kastor.bridge.flux.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.Bridge;
import dev.kastor.bridge.GitHttpServer;
import dev.kastor.bridge.flux.rpc.FluxEvent;
import dev.kastor.bridge.flux.rpc.GitPush;
import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.testing.Eventually;
import dev.kastor.testing.Programs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Without any webhook, KAS notices a {@code git push} to a project an agent watches by listing its refs against a real
 * Git server (git-http-backend behind basic auth), and a project it cannot read does not keep it from the others.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RefPollerTest {
    static final String PASSWORD = "git-password-5f3e";
    static final Pattern POLLS = Pattern.compile("kastor_kas_flux_ref_polls_total (\\d+)");

    @TempDir
    static Path dir;
    static GitHttpServer git;
    static Bridge bridge;

    @BeforeAll
    static void start() throws Exception {
        git = GitHttpServer.startWithBasicAuth(Files.createDirectories(dir.resolve("git")), "kas-reader", PASSWORD);
        git.createRepo("group/app");
        git.commit("group/app", "deploy/app.yaml", "replicas: 1\n");
        Path password = Files.writeString(dir.resolve("git-password"), PASSWORD + "\n");
        bridge = Bridge.withFlux(Files.createDirectories(dir.resolve("kas")), new KasConfig.Flux(null, "1s", null, null),
                new KasConfig.AgentConfiguration(git.urlTemplate(), "kas-reader", password.toString(), "1h", null, null, null), null, null);
    }

    @AfterAll
    static void stop() {
        Programs.closeAll(bridge, git);
    }

    static long polls() throws Exception {
        var m = POLLS.matcher(Posts.get(bridge.apiUrl(), "/metrics").body());
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    static void awaitPolls(long atLeast) throws Exception {
        Eventually.until(Duration.ofSeconds(30), () -> atLeast + " ref polls; KAS's log:\n" + bridge.logText(), () -> polls() >= atLeast);
    }

    @Test
    void aGitPushIsNoticedWithoutWebhookAndAnUnreadableProjectIsLoggedWithoutCredentials() throws Exception {
        try (var agent = new WatchClient(bridge.kas.agentPort(), bridge.register("group/agents", "poll").token())) {
            agent.next();
            agent.watchProjects("group/app", "group/missing");
            Eventually.until(Duration.ofSeconds(30), () -> "the missing project logged:\n" + bridge.logText(),
                    () -> bridge.logText().contains("cannot poll a project's refs for flux"));
            // That round looked at group/app too; after one more, it was looked at twice, unchanged.
            awaitPolls(polls() + 1);
            assertThat(agent.pending()).as("nothing on the first look, nor on an unchanged one").isEmpty();

            git.commit("group/app", "deploy/app.yaml", "replicas: 2\n");

            assertThat(agent.next()).isEqualTo(FluxEvent.newBuilder().setGitPush(GitPush.newBuilder().setProject("group/app")).build());
            assertThat(bridge.logText()).contains("group/missing").doesNotContain(PASSWORD);
            assertThat(List.of(bridge.logText().split("\n")).stream().filter(l -> l.contains("cannot poll a project's refs")).count())
                    .as("a failing project is logged once per distinct failure, not at every poll").isEqualTo(1);
        }
    }
}
