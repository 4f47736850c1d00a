package dev.kastor.bridge.listener;

import dev.kastor.bridge.tunnel.TunnelDefaults;
import java.time.Duration;

/**
 * How long a connection to a KAS gRPC listener (the agent port, its WebSocket front, the private API) may take to
 * finish its TLS, WebSocket and HTTP/2 handshakes before it is closed: a client that connects and says nothing, or
 * trickles, must not hold a connection.
 */
public record Handshake(Duration timeout) {
    public static final Handshake DEFAULT = new Handshake(TunnelDefaults.HANDSHAKE_TIMEOUT);
}
