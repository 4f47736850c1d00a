package dev.kastor.steps.k8s;

import dev.kastor.oci.KastorException;

/** The Kubernetes API (through the agent tunnel) refused or failed a request; the message says on what and what to do. */
public class KubeException extends KastorException {
    public KubeException(String message) {
        super(message);
    }

    public KubeException(String message, Throwable cause) {
        super(message, cause);
    }
}
