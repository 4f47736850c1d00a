package dev.kastor.bridge.listener;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandler;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelInboundHandlerAdapter;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.ServerChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The per-address bound for a gRPC listener (the agent port, the private API), on TCP or a UNIX socket. gRPC offers
 * no handler before its HTTP/2 codec, so the bound sits in the server socket channel's own pipeline, ahead of the
 * handler that hands accepted connections to gRPC: a connection beyond it is closed as it is accepted, before gRPC
 * sees it. gRPC then needs event loops of the same transport (NIO, which has UNIX sockets too), which this owns:
 * close it after the server.
 */
public final class GrpcConnectionsPerAddress implements AutoCloseable {
    private final Bound bound;
    private final EventLoopGroup boss = new NioEventLoopGroup(1);
    private final EventLoopGroup workers = new NioEventLoopGroup();

    public GrpcConnectionsPerAddress(int limit) {
        this.bound = new Bound(new AddressCounts(limit));
    }

    /** Makes {@code builder} listen on {@code address} through the bound (and run on this transport's event loops). */
    public NettyServerBuilder applyTo(NettyServerBuilder builder, SocketAddress address) {
        boolean unix = address instanceof UnixDomainSocketAddress;
        return builder.channelFactory(() -> {
            ServerChannel channel = unix ? new NioServerDomainSocketChannel() : new NioServerSocketChannel();
            channel.pipeline().addLast(bound);
            return channel;
        }).bossEventLoopGroup(boss).workerEventLoopGroup(workers);
    }

    /** Starts {@code builder} (made by {@link #applyTo}); a UNIX socket's file is then restricted as every listener's. */
    public static Server start(NettyServerBuilder builder) throws IOException {
        Server server = builder.build().start();
        try {
            for (SocketAddress a : server.getListenSockets()) ListenAddresses.bound(a);
        } catch (RuntimeException e) {
            stop(server);
            throw e;
        }
        return server;
    }

    /**
     * Stops a gRPC listener at once (its calls are cancelled: agents and replicas reconnect elsewhere), waiting up to
     * 5 s for it to let go; then close the bound, whose event loops the server ran on.
     */
    public static void stop(Server server) {
        server.shutdownNow();
        try {
            server.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    }

    /** Sees each accepted connection (not yet registered with gRPC) on the server channel's event loop. */
    @ChannelHandler.Sharable
    private static final class Bound extends ChannelInboundHandlerAdapter {
        private final AddressCounts counts;

        Bound(AddressCounts counts) {
            this.counts = counts;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            Channel child = (Channel) msg;
            String host = AddressCounts.host(child.remoteAddress());
            if (counts.opened(host)) {
                child.closeFuture().addListener(f -> counts.closed(host));
                ctx.fireChannelRead(child);
            } else {
                counts.closed(host);
                child.unsafe().closeForcibly();
            }
        }
    }
}
