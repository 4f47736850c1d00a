package dev.kastor.bridge.flux.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.Bridge;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A KAS config without a {@code flux} section: the feature is off. Agents get an empty Instance (so they never look at
 * the cluster's Flux objects), the webhooks are absent, no registry is the instance's.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WithoutFluxSectionTest {
    @TempDir
    Path dir;

    @Test
    void watchIsServedWithAnEmptyInstanceAndWebhooksAre404AndOciPushIs422() throws Exception {
        try (var bridge = new Bridge(dir)) {
            var reg = bridge.register("group/agents", "plain");
            bridge.job("job-token-plain", 601, 77, "group/app", reg.agent().id());
            try (var agent = new WatchClient(bridge.kas.agentPort(), reg.token())) {
                var instance = agent.next().getInstance();

                assertThat(instance.getGitUrlPrefixesList()).isEmpty();
                assertThat(instance.getRegistriesList()).isEmpty();
            }
            assertThat(Posts.pushHook(bridge.apiUrl(), "any", "Push Hook", "group/app").statusCode()).isEqualTo(404);
            assertThat(Posts.post(bridge.apiUrl(), FluxServerDefaults.REGISTRY_EVENTS_PATH, "{\"events\":[]}").statusCode()).isEqualTo(404);
            var r = Posts.post(bridge.apiUrl(), FluxServerDefaults.OCI_PUSH_PATH,
                    "{\"url\":\"oci://registry.example.com/group/app\",\"digest\":\"sha256:" + "e".repeat(64) + "\",\"tag\":\"\"}",
                    "JOB-TOKEN", "job-token-plain");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
        }
    }
}
