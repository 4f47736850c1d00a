package dev.kastor.bridge.receptive;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;

/**
 * The handler after TLS on both ends of a receptive connection: a finished handshake turns auto-read off (the bytes
 * wait for the relay) and is {@link #succeeded}; a failed one closes the connection and is {@link #failed}, once (the
 * exception TLS also raises for it only closes).
 */
public abstract class TlsHandshake extends ChannelInboundHandlerAdapter {
    @Override
    public final void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (!(evt instanceof SslHandshakeCompletionEvent done)) {
            super.userEventTriggered(ctx, evt);
        } else if (done.isSuccess()) {
            ctx.channel().config().setAutoRead(false);
            succeeded(ctx);
        } else {
            failed(ctx, done.cause()); // first: whoever sees the connection close can count on what failed() did
            ctx.close();
        }
    }

    protected abstract void succeeded(ChannelHandlerContext ctx);

    protected abstract void failed(ChannelHandlerContext ctx, Throwable cause);

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
