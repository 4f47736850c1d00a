package dev.kastor.steps.k8s;

/** Where one waited object stands with respect to the pushed digest, and why (for logs, statuses and timeouts). */
public record Verdict(Phase phase, String reason) {
    /** The same four states a GitLab commit status goes through. */
    public enum Phase {
        /** Not working on the pushed digest yet. */
        PENDING,
        /** Reconciling towards it. */
        RUNNING,
        /** Done: applied exactly the pushed digest. */
        SUCCESS,
        /** The controller reported a failure for it (Ready=False, Stalled=True). */
        FAILED;

        public boolean done() {
            return this == SUCCESS || this == FAILED;
        }
    }
}
