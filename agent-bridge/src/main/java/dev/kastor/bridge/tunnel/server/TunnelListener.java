package dev.kastor.bridge.tunnel.server;

import com.google.protobuf.ByteString;
import dev.kastor.bridge.tunnel.rpc.Header;

/**
 * What the k8s proxy hears back from the agent on a tunnel it took. Calls come one at a time (gRPC serialises
 * them per stream). The tunnel delivers only the frames admitted: the header, a window after it, then what
 * {@link ProxyTunnel#requestNext(int)} admits as the client takes them. That is how a slow client slows the agent down
 * instead of KAS buffering.
 */
public interface TunnelListener {
    void header(Header header);

    /** The whole answer in one frame (a small one the agent held whole): nothing follows, no trailer. */
    void response(Header header, ByteString body);

    void message(ByteString data);

    /** The upstream side is done (response complete, or the upgraded connection closed by the upstream). */
    void trailer();

    /** The agent could not serve the request: {@code status} is the HTTP status to answer when no header went out. */
    void error(int status, String message);

    /**
     * As {@link #error(int, String)}, for a failure that passes by itself and left the request without effect: the
     * client may send it again after {@code retryAfterSeconds} (0: it must not be told to).
     */
    default void error(int status, String message, int retryAfterSeconds) {
        error(status, message);
    }

    /** The stream broke (agent gone, connection lost) before the trailer. */
    void broken(String why);

    /** The agent can take more request bytes again. */
    default void ready() {}
}
