package dev.kastor.bridge.tunnel.server;

import com.google.protobuf.ByteString;
import dev.kastor.bridge.tunnel.rpc.RequestInfo;

/**
 * A tunnel to an agent, claimed for exactly one proxied request: a stream of this KAS ({@link ServerTunnel}) or one
 * reached through another replica's private API. The k8s proxy drives both the same way and hears back on a
 * {@link TunnelListener}, with the same flow control: {@link #ready} / {@link TunnelListener#ready} for request bytes,
 * {@link #requestNext} for the agent's next frames.
 */
public interface ProxyTunnel {
    /** Starts the request on this tunnel; answers arrive at {@code listener}. */
    void start(RequestInfo info, TunnelListener listener);

    /** Request bytes (body, or raw bytes after an upgrade). */
    void send(ByteString data);

    /** The client side has nothing more to send. */
    void closeSend();

    /** Whether the agent can take more request bytes now; if not, {@link TunnelListener#ready} says when. */
    boolean ready();

    /** Lets the next {@code frames} frames from the agent through (as messages already written to the client make room). */
    void requestNext(int frames);

    /** Ends the tunnel: normally after the trailer, or because the client went away. */
    void finish(boolean ok);
}
