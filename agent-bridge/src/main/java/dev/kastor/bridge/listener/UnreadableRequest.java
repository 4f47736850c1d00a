package dev.kastor.bridge.listener;

import dev.kastor.bridge.observability.Causes;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.util.concurrent.TimeUnit;

/**
 * A request Netty's HTTP codec could not read, as a KAS HTTP listener answers it: a request line or header block over
 * the listener's limit (414, 431, as Go's net/http answers) or a malformed request (400). Never a silent close: the
 * client must learn why.
 *
 * @param reason the status reason as Kubernetes names it (for a {@code Status} object)
 */
public record UnreadableRequest(int code, String reason, String message) {
    /** How long a refused connection stays open for its client to read the answer (Go waits 500 ms the same way). */
    private static final long CLOSE_LINGER_MILLIS = 500;

    /** @param whoAccepts who sets the limit, ending the message: {@code "KAS's API port accepts"} */
    public static UnreadableRequest of(Throwable cause, int limit, String whoAccepts) {
        if (cause instanceof TooLongHttpLineException) {
            return new UnreadableRequest(414, "RequestURITooLong", "the request line is longer than " + limit + " bytes, the most " + whoAccepts);
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return new UnreadableRequest(431, "RequestHeaderFieldsTooLarge", "the request headers take more than " + limit + " bytes, the most "
                    + whoAccepts);
        }
        return new UnreadableRequest(400, "BadRequest", "KAS cannot read the request: " + Causes.describe(cause));
    }

    /**
     * Closes a connection whose answer was just written, after a moment for the client to take it (Go's net/http waits
     * so too), reading meanwhile: closing with the client's bytes unread (an unread body, the rest of an oversized head)
     * would reset the connection and could lose the answer.
     */
    public static void closeSoon(ChannelHandlerContext ctx) {
        ctx.channel().config().setAutoRead(true);
        ctx.executor().schedule(() -> ctx.close(), CLOSE_LINGER_MILLIS, TimeUnit.MILLISECONDS);
    }
}
