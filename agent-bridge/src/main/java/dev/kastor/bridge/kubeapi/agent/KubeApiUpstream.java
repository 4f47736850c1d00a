package dev.kastor.bridge.kubeapi.agent;

import java.net.URI;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;

/**
 * The Kubernetes API server the agent forwards to: its URL, the TLS context trusting it (null for plain HTTP),
 * and the agent's own credentials (a bearer token, re-read each time so a rotated service-account token is used).
 */
public record KubeApiUpstream(URI url, SSLContext tls, Supplier<String> bearerToken) {
    @Override
    public String toString() {
        return "KubeApiUpstream[" + url + "]";
    }
}
