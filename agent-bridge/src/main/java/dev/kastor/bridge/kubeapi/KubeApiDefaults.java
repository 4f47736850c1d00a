package dev.kastor.bridge.kubeapi;

import java.time.Duration;

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

    /**
     * How long the agent waits for the API server's response head once the request went out; then the client gets a
     * 504 and the connection is closed (its answer, if it ever comes, belongs to nobody). kube-apiserver ends every
     * request that is not long-running with its own 504 after its {@code --request-timeout} (60 s by default, and a
     * client's {@code ?timeout=} can only shorten it), so 10 s more lets the API server's more precise answer win.
     * Long-running requests get their head at once from a real API server: a watch ({@code watch=true}/{@code 1})
     * is answered 200 and flushed before its first event, {@code logs?follow=true} as soon as the kubelet opens the
     * stream, exec/attach/port-forward with 101. So the same bound holds for them; their bodies are not bounded.
     */
    public static final Duration RESPONSE_HEAD_TIMEOUT = Duration.ofSeconds(70);

    /**
     * How long a k8s proxy connection may take to deliver a request head, from the moment it opened. kube-apiserver's
     * {@code ReadHeaderTimeout} is 32 s ("just shy of requestTimeoutUpperBound"): a client that connects and says
     * nothing, or trickles its head a byte at a time, holds a connection (and a file descriptor) no longer than that.
     */
    public static final Duration REQUEST_HEAD_TIMEOUT = Duration.ofSeconds(32);

    /**
     * How long a kept-alive k8s proxy connection may wait for its next request once an answer is complete: 90 s, as
     * kube-apiserver's {@code IdleTimeout} (which matches Go's http.DefaultTransport keep-alive on the client side).
     * Neither bound applies while an exchange runs: a watch, {@code logs -f} or an exec session may be quiet for hours.
     */
    public static final Duration KEEP_ALIVE_IDLE_TIMEOUT = Duration.ofSeconds(90);

    /**
     * The longest pause inside a request body (not after an upgrade: an exec session may be quiet for hours). A
     * client that starts a body and stops holds one of the agent's tunnel streams; kubectl sends a body at once.
     */
    public static final Duration REQUEST_BODY_IDLE_TIMEOUT = Duration.ofSeconds(30);

    /**
     * Requests one CI job may have in flight through one agent, of the agent's 500 tunnel streams: a deploy's
     * kubectl/helm keeps a few dozen at most (client-go's default QPS 5, burst 10; watches add one each), so five
     * jobs at their maximum still leave the pool to the rest. Over it: 429 with Retry-After, which client-go retries.
     */
    public static final int STREAMS_PER_JOB = 100;

    /** Requests one client address may have in flight through one agent: a runner host runs several jobs at once. */
    public static final int STREAMS_PER_ADDRESS = 250;

    /**
     * Connections one client address may hold open on the k8s proxy at once. kubectl keeps a few per process (one per
     * concurrent stream: watches, exec, port-forward), a runner host runs several jobs: 512 is far above that and far
     * below a file limit (each connection is a descriptor), so one host cannot use them all up.
     */
    public static final int CONNECTIONS_PER_ADDRESS = 512;
}
