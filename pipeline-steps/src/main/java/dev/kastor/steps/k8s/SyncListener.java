package dev.kastor.steps.k8s;

import io.fabric8.kubernetes.api.model.Event;

/** Told what a wait sees: each change of an object's verdict (never the same one twice in a row) and Flux's events. */
public interface SyncListener {
    void changed(ObjectRef ref, Verdict verdict);

    default void event(ObjectRef ref, Event event) {}

    /** Several listeners as one (console and GitLab statuses). */
    static SyncListener both(SyncListener a, SyncListener b) {
        return new SyncListener() {
            @Override
            public void changed(ObjectRef ref, Verdict verdict) {
                a.changed(ref, verdict);
                b.changed(ref, verdict);
            }

            @Override
            public void event(ObjectRef ref, Event event) {
                a.event(ref, event);
                b.event(ref, event);
            }
        };
    }
}
