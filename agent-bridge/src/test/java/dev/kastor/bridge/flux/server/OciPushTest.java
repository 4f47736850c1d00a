package dev.kastor.bridge.flux.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.Bridge;
import dev.kastor.bridge.flux.rpc.FluxEvent;
import dev.kastor.bridge.flux.rpc.GitPush;
import dev.kastor.bridge.flux.rpc.OciPush;
import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.testing.Programs;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kastor artifact push --notify} tells KAS with the job's token: only the agents that job may use (GitLab's
 * {@code allowed_agents}, here its stand-in) learn of the push.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class OciPushTest {
    static final String SECRET = "flux-webhook-secret-3";
    static final String JOB_TOKEN = "job-token-oci-push";
    static final String DIGEST = "sha256:" + "0123456789abcdef".repeat(4);

    @TempDir
    static Path dir;
    static Bridge bridge;
    static URI api;
    static WatchClient allowed;
    static WatchClient other;

    @BeforeAll
    static void start() throws Exception {
        var flux = new KasConfig.Flux(Files.writeString(dir.resolve("hook-secret"), SECRET).toString(), "off", null,
                List.of(new KasConfig.Registry("registry.example.com", null)));
        bridge = Bridge.withFlux(Files.createDirectories(dir.resolve("kas")), flux, null, null, null);
        api = bridge.apiUrl();
        var allowedAgent = bridge.register("group/agents", "allowed");
        var otherAgent = bridge.register("group/agents", "other");
        // the job may use the first agent, and one that is not registered on this KAS (KAS has no Watch call of it)
        bridge.job(JOB_TOKEN, 501, 77, "group/app", allowedAgent.agent().id(), 9999);
        allowed = new WatchClient(bridge.kas.agentPort(), allowedAgent.token());
        other = new WatchClient(bridge.kas.agentPort(), otherAgent.token());
        allowed.next();
        other.next();
    }

    @AfterAll
    static void stop() throws Exception {
        Programs.closeAll(allowed, other, bridge);
    }

    static HttpResponse<String> notify(String jobToken, String body) throws Exception {
        return Posts.post(api, FluxServerDefaults.OCI_PUSH_PATH, body, "JOB-TOKEN", jobToken, "Content-Type", "application/json");
    }

    static String body(String url, String digest, String tag) {
        return "{\"url\":\"" + url + "\",\"digest\":\"" + digest + "\",\"tag\":\"" + tag + "\"}";
    }

    /** A push hook every agent gets: the first event after it shows what came (or did not) before. */
    static FluxEvent marker(String project) throws Exception {
        assertThat(Posts.pushHook(api, SECRET, "Push Hook", project).statusCode()).isEqualTo(202);
        return FluxEvent.newBuilder().setGitPush(GitPush.newBuilder().setProject(project)).build();
    }

    @Test
    void notifyReachesOnlyTheAgentsTheJobMayUse() throws Exception {
        var r = notify(JOB_TOKEN, body("oci://registry.example.com/group/app-manifests", DIGEST, "main"));

        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        assertThat(r.body()).isEqualTo("{\"agents\":1}");
        assertThat(allowed.next()).isEqualTo(FluxEvent.newBuilder().setOciPush(OciPush.newBuilder().setRegistry("registry.example.com")
                .setRepository("group/app-manifests").setDigest(DIGEST).setTag("main")).build());
        var m = marker("group/after-notify");
        assertThat(other.next()).as("the other agent's first event after the notify").isEqualTo(m);
        assertThat(allowed.next()).isEqualTo(m);
    }

    @Test
    void badJobTokenIs401AndBadBodyIs400NamingTheFieldAndUnknownRegistryIs422() throws Exception {
        assertThat(notify(null, body("oci://registry.example.com/group/app", DIGEST, "")).statusCode()).isEqualTo(401);
        var refused = notify("not-a-job", body("oci://registry.example.com/group/app", DIGEST, ""));
        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(refused.body()).doesNotContain("not-a-job");

        assertThat(notify(JOB_TOKEN, "[]").body()).contains("JSON object");
        assertThat(notify(JOB_TOKEN, body("https://registry.example.com/group/app", DIGEST, "")).body()).contains("url must be oci://");
        assertThat(notify(JOB_TOKEN, body("oci://registry.example.com/Group/App:tag", DIGEST, "")).body()).contains("repository");
        assertThat(notify(JOB_TOKEN, body("oci://registry.example.com/group/app", "sha256:abc", "")).body()).contains("digest must be sha256:");
        assertThat(notify(JOB_TOKEN, body("oci://registry.example.com/group/app", DIGEST, "bad tag")).body()).contains("tag must be");
        assertThat(notify(JOB_TOKEN, body("oci://registry.example.com/group/app", "sha256:abc", "")).statusCode()).isEqualTo(400);

        var unknown = notify(JOB_TOKEN, body("oci://elsewhere.example.com/group/app", DIGEST, ""));
        assertThat(unknown.statusCode()).isEqualTo(422);
        assertThat(unknown.body()).contains("flux.registries");

        var m = marker("group/after-refusals");
        assertThat(allowed.next()).as("nothing reached the allowed agent before").isEqualTo(m);
        assertThat(other.next()).isEqualTo(m);
    }
}
