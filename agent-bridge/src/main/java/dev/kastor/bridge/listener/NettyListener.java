package dev.kastor.bridge.listener;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A bound Netty listener of KAS (k8s proxy, API port, WebSocket front) with its own event loops, on TCP or a UNIX
 * socket (JDK's, through NIO: no native transport): every connection first passes {@link ConnectionsPerAddress},
 * then TLS when given, then the listener's own handlers.
 */
public final class NettyListener implements AutoCloseable {
    private final EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final EventLoopGroup workers = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
    private final Channel channel;

    /** @param handlers adds the listener's handlers to a new connection's pipeline, after the bound and TLS */
    public NettyListener(SocketAddress listen, int connectionsPerAddress, SslContext tls, Consumer<Channel> handlers)
            throws InterruptedException {
        var perAddress = new ConnectionsPerAddress(connectionsPerAddress);
        try {
            channel = new ServerBootstrap().group(boss, workers)
                    .channel(listen instanceof UnixDomainSocketAddress ? NioServerDomainSocketChannel.class : NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(perAddress);
                            if (tls != null) ch.pipeline().addLast(tls.newHandler(ch.alloc()));
                            handlers.accept(ch);
                        }
                    })
                    .bind(listen).sync().channel();
            ListenAddresses.bound(channel.localAddress());
        } catch (InterruptedException | RuntimeException e) {
            // a port that cannot be bound must not leave event loop threads behind
            shutdown();
            throw e;
        }
    }

    /** The TCP port bound (tests bind port 0); refused for a UNIX socket, which has none ({@link #address}). */
    public int port() {
        return ListenAddresses.port(channel.localAddress());
    }

    /** What the listener is bound to: a TCP address, or the UNIX socket's. */
    public SocketAddress address() {
        return channel.localAddress();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        shutdown();
    }

    private void shutdown() {
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    }
}
