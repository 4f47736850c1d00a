package dev.kastor.bridge.kubeapi.server;

/** A request the k8s proxy refuses; answered as a Kubernetes {@code Status}. */
public final class ProxyFailure extends Exception {
    private final transient K8sStatus status;

    public ProxyFailure(K8sStatus status) {
        super(status.message(), null, false, false);
        this.status = status;
    }

    public K8sStatus status() {
        return status;
    }
}
