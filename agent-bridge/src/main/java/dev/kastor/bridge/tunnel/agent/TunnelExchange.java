package dev.kastor.bridge.tunnel.agent;

import dev.kastor.bridge.tunnel.rpc.Header;
import java.io.IOException;
import java.io.InputStream;

/** One request on the agent side: the client's bytes in, the answer out, all blocking and flow-controlled. */
public interface TunnelExchange {
    /** Request body (or, after a 101 header, the client's raw bytes); ends at the client's close-send. */
    InputStream requestBody();

    void header(Header header) throws IOException;

    /** Sends bytes; blocks while KAS cannot take more (its client reads slowly). */
    void write(byte[] data, int off, int len) throws IOException;

    void trailer() throws IOException;

    /** The whole answer at once, for one the handler already holds whole: the same as header, write, trailer. */
    default void respond(Header header, byte[] body, int len) throws IOException {
        header(header);
        if (len > 0) write(body, 0, len);
        trailer();
    }

    /** Fails the request: {@code status} is what KAS answers (only meaningful before {@link #header}). */
    void error(int status, String message);

    /** Runs {@code r} when the stream ends before the handler finished (client gone, KAS gone), to unblock it. */
    void onCancel(Runnable r);

    /** Whether KAS or the client gave up (the stream was cancelled). */
    boolean cancelled();
}
