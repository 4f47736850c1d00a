package dev.kastor.bridge.kubeapi.server;

import dev.kastor.bridge.kubeapi.KubeApiDefaults;
import java.time.Duration;

/**
 * How long a k8s proxy connection may sit without a request: {@code requestHead} from its opening to its first
 * request head, {@code keepAliveIdle} from the end of an answer to the next request head. A running exchange (a
 * watch, an exec session) is never timed out by these.
 */
public record ProxyTimeouts(Duration requestHead, Duration keepAliveIdle) {
    /** kube-apiserver's own: {@link KubeApiDefaults#REQUEST_HEAD_TIMEOUT}, {@link KubeApiDefaults#KEEP_ALIVE_IDLE_TIMEOUT}. */
    public static final ProxyTimeouts DEFAULTS = new ProxyTimeouts(KubeApiDefaults.REQUEST_HEAD_TIMEOUT, KubeApiDefaults.KEEP_ALIVE_IDLE_TIMEOUT);
}
