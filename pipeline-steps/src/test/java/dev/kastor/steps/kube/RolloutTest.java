package dev.kastor.steps.kube;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** When an applied object counts as rolled out (kstatus rules); the stand-in has no controllers, so these are the rules alone. */
class RolloutTest {
    private static GenericKubernetesResource object(String kind, long generation, Map<String, Object> spec, Map<String, Object> status) {
        var o = new GenericKubernetesResourceBuilder().withKind(kind).withNewMetadata().withName("x").withGeneration(generation).endMetadata().build();
        o.setAdditionalProperty("spec", spec);
        o.setAdditionalProperty("status", status);
        return o;
    }

    @Test
    void deploymentIsDoneWhenAllReplicasAreUpdatedAndAvailableAndNoOldOnesRemain() {
        var rolling = object("Deployment", 3, Map.of("replicas", 3), Map.of("observedGeneration", 3, "replicas", 4, "updatedReplicas", 3, "availableReplicas", 3));
        var done = object("Deployment", 3, Map.of("replicas", 3), Map.of("observedGeneration", 3, "replicas", 3, "updatedReplicas", 3, "availableReplicas", 3));
        var unseen = object("Deployment", 4, Map.of("replicas", 3), Map.of("observedGeneration", 3, "replicas", 3, "updatedReplicas", 3, "availableReplicas", 3));

        assertThat(Rollout.of(rolling).state()).isEqualTo(Rollout.State.IN_PROGRESS);
        assertThat(Rollout.of(rolling).message()).contains("1 old");
        assertThat(Rollout.of(done).state()).isEqualTo(Rollout.State.DONE);
        assertThat(Rollout.of(unseen).state()).isEqualTo(Rollout.State.IN_PROGRESS);
    }

    @Test
    void deploymentPastItsProgressDeadlineHasFailed() {
        var stuck = object("Deployment", 1, Map.of(), Map.of("observedGeneration", 1, "conditions",
                List.of(Map.of("type", "Progressing", "status", "False", "reason", "ProgressDeadlineExceeded", "message", "ReplicaSet x has timed out"))));

        assertThat(Rollout.of(stuck).state()).isEqualTo(Rollout.State.FAILED);
        assertThat(Rollout.of(stuck).message()).contains("ProgressDeadlineExceeded");
    }

    @Test
    void jobsCompleteOrFail() {
        assertThat(Rollout.of(object("Job", 1, Map.of(), Map.of("conditions", List.of(Map.of("type", "Complete", "status", "True"))))).state())
                .isEqualTo(Rollout.State.DONE);
        assertThat(Rollout.of(object("Job", 1, Map.of(), Map.of("conditions", List.of(Map.of("type", "Failed", "status", "True", "reason", "BackoffLimitExceeded"))))).state())
                .isEqualTo(Rollout.State.FAILED);
    }

    @Test
    void anyObjectWithAReadyConditionIsDoneWhenReadyAndFailedWhenStalled() {
        var ready = object("Certificate", 2, Map.of(), Map.of("observedGeneration", 2, "conditions", List.of(Map.of("type", "Ready", "status", "True"))));
        var stale = object("Certificate", 2, Map.of(), Map.of("observedGeneration", 1, "conditions", List.of(Map.of("type", "Ready", "status", "True"))));
        var stalled = object("Certificate", 2, Map.of(), Map.of("conditions", List.of(Map.of("type", "Stalled", "status", "True", "reason", "Bad"))));

        assertThat(Rollout.of(ready).state()).isEqualTo(Rollout.State.DONE);
        assertThat(Rollout.of(stale).state()).isEqualTo(Rollout.State.IN_PROGRESS);
        assertThat(Rollout.of(stalled).state()).isEqualTo(Rollout.State.FAILED);
    }

    @Test
    void lineDiffShowsRemovedAndAddedLines() {
        assertThat(LineDiff.diff(List.of("a", "b", "c"), List.of("a", "x", "c"))).containsExactly(" a", "-b", "+x", " c");
        assertThat(LineDiff.diff(List.of("a"), List.of("a"))).isEmpty();
    }
}
