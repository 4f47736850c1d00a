package dev.kastor.bridge.kubeapi.server;

import dev.kastor.bridge.tunnel.TunnelDefaults;
import dev.kastor.bridge.tunnel.server.ProxyTunnel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * The agent's answer on its way to the client, on the connection's event loop, with flow control: every
 * {@link TunnelDefaults#RESPONSE_REFILL} frames written to the client's socket admit as many more from the agent, so a
 * slow client slows the agent down instead of KAS buffering. A write that fails means the client went away.
 */
final class AnswerWrites {
    private final ChannelHandlerContext ctx;
    private final Runnable clientGone;
    /** Frames written to the client's socket. */
    private long written;
    private boolean flushPending;

    AnswerWrites(ChannelHandlerContext ctx, Runnable clientGone) {
        this.ctx = ctx;
        this.clientGone = clientGone;
    }

    /** The head of an answer whose body follows. */
    void head(HttpResponse head, ProxyTunnel tunnel) {
        ctx.writeAndFlush(head).addListener(next(tunnel));
    }

    /** A 101: from here the connection is two raw byte streams, and the HTTP codec leaves the pipeline. */
    void switchProtocols(HttpResponse head, ProxyTunnel tunnel) {
        ctx.write(head);
        ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        ctx.pipeline().remove(K8sProxyServer.CODEC);
        ctx.channel().config().setAutoRead(true);
        tunnel.requestNext(1);
    }

    /** A piece of the body (or raw bytes after a 101). */
    void frame(Object piece, ProxyTunnel tunnel) {
        ctx.write(piece).addListener(next(tunnel));
        flushSoon();
    }

    /**
     * Flushes once the frames already queued for this event loop are written too: a large answer's frames arrive in
     * bursts, and one socket write per burst instead of per frame saves system calls (costly on virtual machines).
     */
    private void flushSoon() {
        if (flushPending) return;
        flushPending = true;
        ctx.executor().execute(() -> {
            flushPending = false;
            ctx.flush();
        });
    }

    private ChannelFutureListener next(ProxyTunnel tunnel) {
        return f -> {
            if (!f.isSuccess()) {
                clientGone.run();
            } else if (++written % TunnelDefaults.RESPONSE_REFILL == 0) {
                tunnel.requestNext(TunnelDefaults.RESPONSE_REFILL);
            }
        };
    }
}
