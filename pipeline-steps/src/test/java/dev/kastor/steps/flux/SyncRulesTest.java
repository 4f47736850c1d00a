package dev.kastor.steps.flux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.steps.k8s.Verdict.Phase;
import dev.kastor.steps.k8s.Verdict;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Flux's status contract, object by object, as the wait reads it. */
class SyncRulesTest {
    private static final String DIGEST = "sha256:" + "b".repeat(64);
    private static final String OLD = "sha256:" + "a".repeat(64);

    private static GenericKubernetesResource object(long generation, Map<String, Object> status) {
        var o = new GenericKubernetesResourceBuilder().withNewMetadata().withName("x").withGeneration(generation).endMetadata().build();
        o.setAdditionalProperty("status", status);
        return o;
    }

    private static List<Map<String, Object>> ready(String status, String reason, String message) {
        return List.of(Map.of("type", "Ready", "status", status, "reason", reason, "message", message));
    }

    @Test
    void revisionMatchesOnlyTheExactDigest() {
        assertThat(SyncRules.matches("main@" + DIGEST, DIGEST)).isTrue();
        assertThat(SyncRules.matches(DIGEST, DIGEST)).isTrue();
        assertThat(SyncRules.matches("main@" + OLD, DIGEST)).isFalse();
        assertThat(SyncRules.matches("main@" + DIGEST + "x", DIGEST)).isFalse();
        assertThat(SyncRules.matches(null, DIGEST)).isFalse();
    }

    @Test
    void kustomizationIsDoneOnlyWhenTheNewGenerationIsObserved() {
        var stale = object(2, Map.of("observedGeneration", 1, "lastAppliedRevision", "main@" + DIGEST,
                "conditions", ready("True", "ReconciliationSucceeded", "Applied")));
        var done = object(2, Map.of("observedGeneration", 2, "lastAppliedRevision", "main@" + DIGEST,
                "conditions", ready("True", "ReconciliationSucceeded", "Applied")));

        assertThat(SyncRules.kustomization(stale, DIGEST, true).phase()).isEqualTo(Phase.RUNNING);
        assertThat(SyncRules.kustomization(done, DIGEST, true).phase()).isEqualTo(Phase.SUCCESS);
    }

    @Test
    void helmReleaseUsesItsDigestField() {
        var hr = object(1, Map.of("observedGeneration", 1, "lastAttemptedRevision", "6.5.0", "lastAttemptedRevisionDigest", DIGEST,
                "conditions", ready("True", "UpgradeSucceeded", "Helm upgrade succeeded")));
        var failed = object(1, Map.of("observedGeneration", 1, "lastAttemptedRevisionDigest", DIGEST,
                "conditions", ready("False", "UpgradeFailed", "timed out waiting for the condition")));

        assertThat(SyncRules.helmRelease(hr, DIGEST, true).phase()).isEqualTo(Phase.SUCCESS);
        Verdict v = SyncRules.helmRelease(failed, DIGEST, true);
        assertThat(v.phase()).isEqualTo(Phase.FAILED);
        assertThat(v.reason()).contains("UpgradeFailed", "timed out waiting");
    }

    @Test
    void sourceFailureBeforeOurReconcileWasHandledIsNotOurs() {
        var o = object(1, Map.of("observedGeneration", 1, "lastHandledReconcileAt", "earlier",
                "conditions", ready("False", "OCIArtifactPullFailed", "unauthorized")));

        assertThat(SyncRules.source(o, DIGEST, "now").phase()).isEqualTo(Phase.RUNNING);
        assertThat(SyncRules.source(o, DIGEST, "earlier").phase()).isEqualTo(Phase.FAILED);
        assertThat(SyncRules.source(o, DIGEST, null).reason()).contains("OCIArtifactPullFailed: unauthorized");
    }
}
