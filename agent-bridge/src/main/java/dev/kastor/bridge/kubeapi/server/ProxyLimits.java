package dev.kastor.bridge.kubeapi.server;

import dev.kastor.bridge.kubeapi.KubeApiDefaults;
import java.time.Duration;

/**
 * What one client may hold of the k8s proxy. {@code requestHead}: from a connection's opening to its first request
 * head; {@code keepAliveIdle}: from the end of an answer to the next request head (a running exchange, a watch or an
 * exec session, is never timed out by these two); {@code requestBodyIdle}: the longest pause inside a request body;
 * {@code streamsPerJob}/{@code streamsPerAddress}: requests in flight through one agent from one CI job / one address;
 * {@code connectionsPerAddress}: open connections from one address.
 */
public record ProxyLimits(Duration requestHead, Duration keepAliveIdle, Duration requestBodyIdle, int streamsPerJob, int streamsPerAddress,
                          int connectionsPerAddress) {
    /** The defaults: {@link KubeApiDefaults}. */
    public static final ProxyLimits DEFAULTS = new ProxyLimits(KubeApiDefaults.REQUEST_HEAD_TIMEOUT, KubeApiDefaults.KEEP_ALIVE_IDLE_TIMEOUT,
            KubeApiDefaults.REQUEST_BODY_IDLE_TIMEOUT, KubeApiDefaults.STREAMS_PER_JOB, KubeApiDefaults.STREAMS_PER_ADDRESS,
            KubeApiDefaults.CONNECTIONS_PER_ADDRESS);
}
