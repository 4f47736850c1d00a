package dev.kastor.bridge.kubeapi;

/** Every limit of the k8s proxy and the agent's requests to the API server, in one place. */
public final class KubeApiDefaults {
    private KubeApiDefaults() {}

    /**
     * The most bytes a request's line and header block may each take on the k8s proxy. kube-apiserver runs on Go's
     * net/http, whose {@code DefaultMaxHeaderBytes} is 1 MiB (request line included), so anything kubectl may send
     * to an API server (a long label selector in the URL, a large header) must pass KAS too; beyond it KAS answers
     * 414 or 431, as the API server would.
     */
    public static final int MAX_REQUEST_HEAD = 1 << 20;

}
