package dev.kastor.bridge.receptive;

import io.grpc.netty.shaded.io.netty.buffer.Unpooled;
import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.ChannelFutureListener;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;

/**
 * Pipes bytes both ways between a TLS connection of Netty (the agent's listener, KAS's dialler) and a local channel of
 * gRPC's own (shaded) Netty, which the gRPC client or server reads as its transport. The two Netty copies share no
 * buffer type, so each message is copied across. A read on one side waits until the previous message is flushed on the
 * other, so neither side buffers more than one message; either side closing closes the other.
 */
public final class Splice {
    private Splice() {}

    /**
     * Joins {@code tls} and {@code local}, both with auto-read off and with no handler of their own left that reads.
     * {@code first} (may be null), already read from {@code tls}, is passed on before anything else.
     */
    public static void join(io.netty.channel.Channel tls, Channel local, ByteBuf first) {
        tls.pipeline().addLast("splice", new FromTls(local));
        local.pipeline().addLast("splice", new FromLocal(tls));
        tls.closeFuture().addListener(f -> local.close());
        local.closeFuture().addListener(f -> tls.close());
        local.read();
        if (first == null) {
            tls.read();
        } else {
            toLocal(local, first, tls::read, tls::close);
        }
    }

    private static void toLocal(Channel local, ByteBuf msg, Runnable next, Runnable fail) {
        byte[] bytes = copy(msg);
        local.writeAndFlush(Unpooled.wrappedBuffer(bytes)).addListener((ChannelFutureListener) f -> (f.isSuccess() ? next : fail).run());
    }

    private static byte[] copy(ByteBuf msg) {
        try {
            return ByteBufUtil.getBytes(msg);
        } finally {
            msg.release();
        }
    }

    /** TLS connection -> local channel. */
    private static final class FromTls extends io.netty.channel.ChannelInboundHandlerAdapter {
        private final Channel local;

        FromTls(Channel local) {
            this.local = local;
        }

        @Override
        public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) {
            toLocal(local, (ByteBuf) msg, ctx::read, ctx::close);
        }

        @Override
        public void exceptionCaught(io.netty.channel.ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** Local channel -> TLS connection. */
    private static final class FromLocal extends ChannelInboundHandlerAdapter {
        private final io.netty.channel.Channel tls;

        FromLocal(io.netty.channel.Channel tls) {
            this.tls = tls;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            var in = (io.grpc.netty.shaded.io.netty.buffer.ByteBuf) msg;
            byte[] bytes;
            try {
                bytes = io.grpc.netty.shaded.io.netty.buffer.ByteBufUtil.getBytes(in);
            } finally {
                in.release();
            }
            tls.writeAndFlush(io.netty.buffer.Unpooled.wrappedBuffer(bytes)).addListener((io.netty.channel.ChannelFutureListener) f -> {
                if (f.isSuccess()) {
                    ctx.read();
                } else {
                    ctx.close();
                }
            });
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
