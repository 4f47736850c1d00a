package dev.kastor.steps.flux;

import dev.kastor.steps.k8s.Conditions.Condition;
import dev.kastor.steps.k8s.Conditions;
import dev.kastor.steps.k8s.Verdict.Phase;
import dev.kastor.steps.k8s.Verdict;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;

/**
 * When a Flux object has reconciled exactly the pushed digest or the job's commit, following Flux's own status contract:
 * <ul>
 * <li>OCIRepository: {@code status.artifact.revision} is {@code <tag>@sha256:<digest>} (or just the digest);</li>
 * <li>GitRepository: {@code status.artifact.revision} is {@code <ref>@sha1:<commit>} (branch, tag or ref name), or
 * {@code sha1:<commit>} when the spec pins a commit alone;</li>
 * <li>Kustomization: {@code lastAppliedRevision} is that revision (either kind of source), {@code observedGeneration == generation} and
 * {@code Ready=True};</li>
 * <li>HelmRelease (chartRef to an OCIRepository): {@code lastAttemptedRevisionDigest} is the digest, observed and Ready.</li>
 * </ul>
 * Failed means {@code Stalled=True}, or {@code Ready=False} about the pushed revision (an old failure of a previous
 * revision is not ours to report).
 */
public final class SyncRules {
    private SyncRules() {}

    /**
     * {@code main@sha256:abc...} and {@code sha256:abc...} both match {@code sha256:abc...}; {@code main@sha1:0a1b...}
     * and {@code sha1:0a1b...} both match {@code sha1:0a1b...}; nothing else does.
     */
    public static boolean matches(String revision, String want) {
        return revision != null && (revision.equals(want) || revision.endsWith("@" + want));
    }

    /**
     * @param requestedAt the {@code reconcile.fluxcd.io/requestedAt} value this wait set, or null: a Ready=False
     *     seen before the controller handled that request describes an older attempt.
     */
    public static Verdict source(GenericKubernetesResource o, String want, String requestedAt) {
        if (o == null) return new Verdict(Phase.PENDING, "not found (deleted?)");
        String revision = Conditions.string(o, "status", "artifact", "revision");
        Condition ready = Conditions.get(o, "Ready");
        Condition stalled = Conditions.get(o, "Stalled");
        String seen = "revision " + (revision == null ? "none yet" : revision) + (ready == null ? "" : "; " + ready.describe());
        if (matches(revision, want)) return new Verdict(Phase.SUCCESS, "artifact " + revision + " stored" + messageOf(ready));
        if (stalled != null && stalled.isTrue()) return new Verdict(Phase.FAILED, stalled.describe());
        boolean handled = requestedAt == null || requestedAt.equals(Conditions.string(o, "status", "lastHandledReconcileAt"));
        if (ready != null && ready.isFalse() && handled && Conditions.observedLatest(o)) {
            return new Verdict(Phase.FAILED, ready.describe() + " (" + "revision " + (revision == null ? "none" : revision) + ")");
        }
        Condition reconciling = Conditions.get(o, "Reconciling");
        boolean working = (reconciling != null && reconciling.isTrue()) || requestedAt != null;
        return new Verdict(working ? Phase.RUNNING : Phase.PENDING, seen + "; want …@" + want);
    }

    /** @param sourceHasIt whether the source already serves the wanted revision (so the Kustomization has work to do). */
    public static Verdict kustomization(GenericKubernetesResource o, String want, boolean sourceHasIt) {
        if (o == null) return new Verdict(Phase.PENDING, "not found (deleted?)");
        String applied = Conditions.string(o, "status", "lastAppliedRevision");
        String attempted = Conditions.string(o, "status", "lastAttemptedRevision");
        return appliedVerdict(o, matches(applied, want), matches(attempted, want), sourceHasIt,
                "lastAppliedRevision " + (applied == null ? "none" : applied)
                        + (attempted != null && !attempted.equals(applied) ? ", lastAttemptedRevision " + attempted : ""));
    }

    public static Verdict helmRelease(GenericKubernetesResource o, String digest, boolean sourceHasIt) {
        if (o == null) return new Verdict(Phase.PENDING, "not found (deleted?)");
        String attempted = Conditions.string(o, "status", "lastAttemptedRevisionDigest");
        String release = Conditions.string(o, "status", "lastAttemptedRevision");
        boolean ours = matches(attempted, digest);
        return appliedVerdict(o, ours, ours, sourceHasIt,
                "lastAttemptedRevisionDigest " + (attempted == null ? "none" : attempted) + (release == null ? "" : " (chart " + release + ")"));
    }

    private static Verdict appliedVerdict(GenericKubernetesResource o, boolean applied, boolean attempted, boolean sourceHasIt, String seen) {
        Condition ready = Conditions.get(o, "Ready");
        Condition stalled = Conditions.get(o, "Stalled");
        boolean observed = Conditions.observedLatest(o);
        if (stalled != null && stalled.isTrue()) return new Verdict(Phase.FAILED, stalled.describe());
        if (applied && observed && ready != null && ready.isTrue()) return new Verdict(Phase.SUCCESS, seen + messageOf(ready));
        if (attempted && observed && ready != null && ready.isFalse()) return new Verdict(Phase.FAILED, ready.describe());
        String why = seen + (ready == null ? "; no Ready condition yet" : "; " + ready.describe()) + (observed ? "" : "; generation not observed yet");
        return new Verdict(sourceHasIt || attempted ? Phase.RUNNING : Phase.PENDING, why);
    }

    private static String messageOf(Condition ready) {
        return ready == null || ready.message() == null || ready.message().isBlank() ? "" : ": " + ready.message();
    }
}
