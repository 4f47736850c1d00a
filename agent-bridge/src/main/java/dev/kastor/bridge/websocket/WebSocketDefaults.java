package dev.kastor.bridge.websocket;

import java.time.Duration;

/**
 * Every default of the WebSocket transport (gRPC inside WebSocket, for proxies that cannot pass HTTP/2), in one place.
 * Each WebSocket carries one HTTP/2 connection's bytes as binary messages; nothing else is framed on top.
 */
public final class WebSocketDefaults {
    private WebSocketDefaults() {}

    /** The subprotocol both ends name in {@code Sec-WebSocket-Protocol}. */
    public static final String SUBPROTOCOL = "kastor-grpc";
    /** Bytes per binary message the agent sends: one read of the loopback socket. */
    public static final int CHUNK = 32 * 1024;
    /** Largest frame KAS accepts; the agent sends at most {@link #CHUNK}, gRPC's HTTP/2 frames are 16 KiB by default. */
    public static final int MAX_FRAME = 1024 * 1024;
    /** How long the agent waits for the WebSocket handshake with KAS. */
    public static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(15);
    /** How long a closing WebSocket waits for the other side's close frame before it is dropped. */
    public static final Duration CLOSE_GRACE = Duration.ofSeconds(5);
    /**
     * How often the agent pings KAS over each WebSocket. A connection a proxy dropped without a word can look alive to
     * the JDK's WebSocket until something is sent; gRPC's own keepalive (30 s) would notice far later.
     */
    public static final Duration PING_INTERVAL = Duration.ofSeconds(5);
    /** No pong for this long: the WebSocket is dead, and the agent drops it so gRPC reconnects. */
    public static final Duration PONG_TIMEOUT = Duration.ofSeconds(12);
}
