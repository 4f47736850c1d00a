package dev.kastor.bridge.tunnel.server;

import dev.kastor.bridge.tunnel.TunnelDefaults;
import dev.kastor.bridge.tunnel.rpc.AgentFrame;
import java.util.function.IntConsumer;

/** How every tunnel KAS drives (a local stream, or one through another replica) hands the agent's frames on. */
public final class AgentFrames {
    private AgentFrames() {}

    /**
     * Gives {@code frame} to {@code listener}. After a header the body may run ahead of the client by a bounded window
     * ({@code admit}); after the last frame of an answer the tunnel is {@code finished}.
     */
    public static void deliver(AgentFrame frame, TunnelListener listener, IntConsumer admit, Runnable finished) {
        switch (frame.getFrameCase()) {
            case HEADER -> {
                listener.header(frame.getHeader());
                admit.accept(TunnelDefaults.RESPONSE_WINDOW);
            }
            case MESSAGE -> listener.message(frame.getMessage().getData());
            case RESPONSE -> {
                listener.response(frame.getResponse().getHeader(), frame.getResponse().getBody());
                finished.run();
            }
            case TRAILER -> {
                listener.trailer();
                finished.run();
            }
            case ERROR -> {
                listener.error(frame.getError().getStatus(), frame.getError().getMessage());
                finished.run();
            }
            default -> admit.accept(1); // a frame this KAS does not know: skip it
        }
    }
}
