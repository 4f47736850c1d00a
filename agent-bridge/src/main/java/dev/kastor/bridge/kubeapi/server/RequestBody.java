package dev.kastor.bridge.kubeapi.server;

import com.google.protobuf.ByteString;
import dev.kastor.bridge.tunnel.server.ProxyTunnel;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * The client's half of one exchange on its way to the agent: the request body, or after an upgrade the client's raw
 * bytes. Held until a tunnel is claimed, then forwarded as it comes, with reading paused while the agent cannot take
 * more. On the client connection's event loop only.
 */
final class RequestBody {
    /** How far the body got: still coming; all here (held or forwarded); ended towards the agent with CloseSend. */
    private enum End { OPEN, RECEIVED, SENT }

    private final Channel client;
    /** An upgrade request: what follows its head is raw bytes, never ended by the client's end of body. */
    private final boolean upgrade;
    private final ArrayDeque<Object> held = new ArrayDeque<>();
    private End end = End.OPEN;
    private long lastNanos = System.nanoTime();

    RequestBody(Channel client, boolean upgrade) {
        this.client = client;
        this.upgrade = upgrade;
    }

    /** Notes a piece's arrival, whatever becomes of it: when (a pause inside the body is bounded), and whether it ends the body. */
    void arrived(Object piece) {
        lastNanos = System.nanoTime();
        if (piece instanceof LastHttpContent && end == End.OPEN) end = End.RECEIVED;
    }

    /** Keeps a piece until the tunnel is claimed ({@link #drain}) or the exchange ends ({@link #drop}). */
    void hold(Object piece) {
        held.add(piece);
    }

    void drain(ProxyTunnel tunnel) {
        while (!held.isEmpty()) forward(held.poll(), tunnel);
    }

    void forward(Object piece, ProxyTunnel tunnel) {
        try {
            ByteBuf buf = piece instanceof HttpContent c ? c.content() : (ByteBuf) piece;
            if (buf.isReadable()) tunnel.send(ByteString.copyFrom(buf.nioBuffer()));
            if (piece instanceof LastHttpContent && !upgrade) {
                end = End.SENT;
                tunnel.closeSend();
            }
        } finally {
            ReferenceCountUtil.release(piece);
        }
        // Pause the client while the agent cannot take more. Not once the request is over: the answer may already be
        // complete (its stream closed, so never ready again), and the connection must go on to read the next request.
        if (end != End.SENT && !tunnel.ready()) client.config().setAutoRead(false);
    }

    void drop() {
        held.forEach(ReferenceCountUtil::release);
        held.clear();
    }

    /** Whether the body's last piece arrived. */
    boolean received() {
        return end != End.OPEN;
    }

    /** Whether the agent heard the body's end: only then may the connection carry the client's next request. */
    boolean sent() {
        return end == End.SENT;
    }

    long quietNanos() {
        return System.nanoTime() - lastNanos;
    }
}
