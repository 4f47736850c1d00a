package dev.kastor.bridge.receptive;

import java.time.Duration;

/** Every default of receptive agents, in one place. */
public final class ReceptiveDefaults {
    private ReceptiveDefaults() {}

    /** KAS redials an agent it cannot reach after 1 s, doubling up to 20 s, with jitter (as agents redial KAS). */
    public static final Duration BACKOFF_MIN = Duration.ofSeconds(1);
    public static final Duration BACKOFF_MAX = Duration.ofSeconds(20);
    /** How long KAS waits for the TCP connection to a receptive agent. */
    public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /**
     * How long a caller of the agent's listener may take to finish its TLS handshake (KAS's client certificate
     * included) before the agent closes it: a caller that says nothing, or trickles, must not hold a connection.
     */
    public static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
    /**
     * Connections one host may hold open on the agent's listener. KAS keeps two per agent (the one in use and a spare);
     * the rest is room for several KAS replicas behind one NAT address.
     */
    public static final int CONNECTIONS_PER_ADDRESS = 16;
    /**
     * How long the agent's gRPC client waits for a connection from KAS when it needs one (at start, or after KAS ended
     * the previous one) before the attempt fails and the agent's modules retry with their backoff.
     */
    public static final Duration WAIT_FOR_KAS = Duration.ofSeconds(10);
    /** A host refused at the agent's listener is logged at most once in this time; the next line counts the rest. */
    public static final Duration REFUSAL_LOG_INTERVAL = Duration.ofMinutes(1);
}
