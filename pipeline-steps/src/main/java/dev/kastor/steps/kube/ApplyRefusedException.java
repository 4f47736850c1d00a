package dev.kastor.steps.kube;

import dev.kastor.steps.k8s.KubeException;

/**
 * The live objects forbid the apply as asked: one belongs to another inventory (or none) under the inventory policy,
 * or another field manager owns a field the apply would change. Nothing was written; the message names each object,
 * its owner or the field and manager, and the option that would allow it.
 */
final class ApplyRefusedException extends KubeException {
    ApplyRefusedException(String message) {
        super(message);
    }
}
