package dev.kastor.bridge.tunnel;

import java.time.Duration;

/** Every default of the reverse tunnel, in one place (GitLab's agent uses the same figures). */
public final class TunnelDefaults {
    private TunnelDefaults() {}

    public static final int MIN_IDLE_STREAMS = 2;
    public static final int MAX_STREAMS = 500;
    public static final int GROW_BY = 10;
    public static final Duration IDLE_STREAM_TIMEOUT = Duration.ofMinutes(1);
    public static final Duration BACKOFF_MIN = Duration.ofSeconds(1);
    public static final Duration BACKOFF_MAX = Duration.ofSeconds(20);
    public static final Duration MAX_CONNECTION_AGE = Duration.ofHours(2);
    public static final Duration MAX_CONNECTION_AGE_GRACE = Duration.ofHours(1);
    /**
     * How long after KAS started its agents may still be coming back: each waits at most {@link #BACKOFF_MAX} plus a
     * fifth of it at random after losing KAS, then connects. A request for an agent not connected within this window
     * is told to come back ({@code Retry-After}), which kubectl and client-go do by themselves.
     */
    public static final Duration RECONNECT_WINDOW = Duration.ofSeconds(30);
    /**
     * Seconds a request refused for a reason that passes by itself (reconnecting agents, all streams busy) waits to come
     * back: client-go tries 10 times, so a job's kubectl keeps trying for the whole {@link #RECONNECT_WINDOW}.
     */
    public static final int RETRY_AFTER_SECONDS = 3;
    /**
     * Threads that run KAS's agent-facing calls off the transport (configuration, registration, Flux watches; the
     * tunnel runs on the transport): each call's work is short, so a few per core serve any number of agents.
     */
    public static final int AGENT_CALL_THREADS = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
    /** How long a proxied request waits for an idle stream of a connected agent whose streams are all busy. */
    public static final Duration WAIT_FOR_IDLE_STREAM = Duration.ofSeconds(10);
    /** Bytes per tunnel message: large enough for throughput, small enough that a watch event is not held back. */
    public static final int CHUNK = 32 * 1024;
    /**
     * Response messages KAS lets the agent send ahead of what its client has taken: one at a time would make every
     * 32 KiB wait for a round trip through two event loops; eight bound what a slow client can make KAS hold.
     */
    public static final int RESPONSE_WINDOW = 8;
    /**
     * Response frames written to the client before KAS lets as many more through: half the window, so the agent never
     * runs dry, and each call into the gRPC transport (a thread hop) admits several frames instead of one.
     */
    public static final int RESPONSE_REFILL = RESPONSE_WINDOW / 2;
    /**
     * Bytes gRPC may queue on a tunnel stream before the sender waits (its default is 32 KiB: one chunk, so every
     * chunk would wait for the previous one to leave).
     */
    public static final int SEND_BUFFER = 4 * CHUNK;
    /**
     * How long an agent's write may wait for KAS to take frames before the agent gives the stream up. KAS ends the
     * call as soon as its client goes away, so this only guards against a KAS that froze; it must be long, because a
     * client that pauses reading (kubectl logs -f piped into a pager) is legitimate and must not lose its stream.
     */
    public static final Duration SEND_STALL = Duration.ofMinutes(10);
    /**
     * A refused agent token is logged once per peer host and reason in this interval (the next line counts those left
     * out): a misconfigured agent retries every 1–20 s, and a flood must not flood the log.
     */
    public static final Duration REFUSED_TOKEN_LOG_INTERVAL = Duration.ofMinutes(1);
    /**
     * How long a new agent connection may take to finish its TLS and HTTP/2 handshake on KAS's agent port (gRPC's
     * default is 120 s): a connection that says nothing, or trickles, is closed instead of holding a file descriptor.
     * A real agent completes it in milliseconds; 20 s leaves room for a slow network.
     */
    public static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(20);
    /**
     * An agent connection with no call at all for this long is closed: a live agent always holds its idle tunnel
     * streams (at least 2), so such a connection is no agent's.
     */
    public static final Duration MAX_CONNECTION_IDLE = Duration.ofMinutes(5);

    /**
     * Connections one host may hold open on the agent port: each holds a file descriptor, whether an agent's or a
     * stranger's (refused at its first call, closed after {@link #MAX_CONNECTION_IDLE}). An agent holds one per
     * replica of its Deployment; a fleet of clusters behind one NAT address needs one per agent pod, which this leaves
     * room for.
     */
    public static final int CONNECTIONS_PER_ADDRESS = 1024;
}
