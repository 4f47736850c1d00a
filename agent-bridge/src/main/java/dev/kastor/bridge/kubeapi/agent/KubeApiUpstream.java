package dev.kastor.bridge.kubeapi.agent;

import dev.kastor.bridge.kubeapi.KubeApiDefaults;
import java.net.URI;
import java.time.Duration;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;

/**
 * The Kubernetes API server the agent forwards to: its URL, the TLS context trusting it (null for plain HTTP),
 * the agent's own credentials (a bearer token, re-read each time so a rotated service-account token is used), and
 * how long a request waits for its response head ({@link KubeApiDefaults#RESPONSE_HEAD_TIMEOUT} unless a test
 * needs it short).
 */
public record KubeApiUpstream(URI url, SSLContext tls, Supplier<String> bearerToken, Duration responseHeadTimeout) {
    public KubeApiUpstream(URI url, SSLContext tls, Supplier<String> bearerToken) {
        this(url, tls, bearerToken, KubeApiDefaults.RESPONSE_HEAD_TIMEOUT);
    }

    @Override
    public String toString() {
        return "KubeApiUpstream[" + url + "]";
    }
}
