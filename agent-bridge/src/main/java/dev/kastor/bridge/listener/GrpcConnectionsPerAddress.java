package dev.kastor.bridge.listener;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The per-address bound for a gRPC listener (the agent port). gRPC offers no handler before its HTTP/2 codec, so the
 * bound sits in the server socket channel: a connection beyond it is closed as it is accepted, before gRPC sees it.
 * gRPC then needs event loops of the same transport, which this owns: close it after the server.
 */
public final class GrpcConnectionsPerAddress implements AutoCloseable {
    private final AddressCounts counts;
    private final EventLoopGroup boss = new NioEventLoopGroup(1);
    private final EventLoopGroup workers = new NioEventLoopGroup();

    public GrpcConnectionsPerAddress(int limit) {
        this.counts = new AddressCounts(limit);
    }

    /** Makes {@code builder} accept through the bound (and run on this transport's event loops). */
    public NettyServerBuilder applyTo(NettyServerBuilder builder) {
        return builder.channelFactory(() -> new Bounded(counts)).bossEventLoopGroup(boss).workerEventLoopGroup(workers);
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

    private static final class Bounded extends NioServerSocketChannel {
        private final AddressCounts counts;

        Bounded(AddressCounts counts) {
            this.counts = counts;
        }

        @Override
        protected int doReadMessages(List<Object> buf) throws Exception {
            int from = buf.size();
            int accepted = super.doReadMessages(buf);
            for (int i = buf.size() - 1; i >= from; i--) {
                Channel child = (Channel) buf.get(i);
                String host = AddressCounts.host(child.remoteAddress());
                if (counts.opened(host)) {
                    child.closeFuture().addListener(f -> counts.closed(host));
                } else {
                    counts.closed(host);
                    buf.remove(i);
                    accepted--;
                    child.unsafe().closeForcibly();
                }
            }
            return accepted;
        }
    }
}
