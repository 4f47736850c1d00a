package dev.kastor.bridge.listener;

import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioDomainSocketChannel;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;

/**
 * Plain gRPC to a {@code unix:///path.socket} URL (a replica's private API, kastor-agent's {@code --kas}), over NIO as
 * KAS's listeners: gRPC's default event loops may be epoll's, which cannot drive a JDK UNIX socket.
 */
public final class UnixSocketChannels {
    /** Shared by every such channel, as gRPC shares its own; daemon threads, so they never hold the JVM. */
    private static final EventLoopGroup LOOPS = new NioEventLoopGroup(0, Thread.ofPlatform().name("kastor-unix-socket-", 0).daemon().factory());

    private UnixSocketChannels() {}

    /** Whether {@code url} names a UNIX socket ({@code unix:///path.socket}). */
    public static boolean isUnix(URI url) {
        return "unix".equals(url.getScheme());
    }

    /** A plaintext channel builder to the socket {@code url} names. */
    public static NettyChannelBuilder builder(URI url) {
        return NettyChannelBuilder.forAddress(UnixDomainSocketAddress.of(Path.of(url.getPath())))
                .channelType(NioDomainSocketChannel.class, UnixDomainSocketAddress.class)
                .eventLoopGroup(LOOPS)
                .usePlaintext();
    }
}
