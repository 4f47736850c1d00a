package dev.kastor.bridge.flux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.testing.kube.RegistryTags;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two KAS replicas on real Redis ({@link FluxChain#twoReplicas}): the registry's notification and GitLab's webhook land
 * on replica A, the agent is connected to replica B, and the Receivers are still called, once each.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class FluxAcrossReplicasReceiverTest {
    @TempDir
    Path dir;

    @Test
    void pushesLandingOnOneReplicaReachTheReceiversOfTheAgentOnTheOther() throws Exception {
        try (var chain = FluxChain.twoReplicas(dir, "1s")) {
            chain.oci("replicas", "app", FluxChain.REGISTRY_HOST + "/group/app", null);
            chain.gitRepository("replicas", "repo", "group/app");
            chain.await("both receivers", () -> chain.receiverExists("replicas", "kastor-oci-app") && chain.receiverExists("replicas", "kastor-git-repo"));

            RegistryTags.push("oci://" + chain.registry.host() + "/group/app", "latest", "app v1".getBytes(StandardCharsets.UTF_8));
            assertThat(chain.pushHook(FluxChain.HOOK_SECRET, "group/app").statusCode()).isEqualTo(202);

            chain.await("both receivers called", () -> chain.callsTo("replicas", "kastor-oci-app") >= 1 && chain.callsTo("replicas", "kastor-git-repo") >= 1);
            FluxReceiversTest.quietSpan();
            assertThat(chain.callsTo("replicas", "kastor-oci-app")).as("once, though two replicas heard of it").isEqualTo(1);
            assertThat(chain.callsTo("replicas", "kastor-git-repo")).isEqualTo(1);
        }
    }
}
