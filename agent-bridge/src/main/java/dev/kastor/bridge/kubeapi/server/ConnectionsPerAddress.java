package dev.kastor.bridge.kubeapi.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.net.InetSocketAddress;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Counts the k8s proxy's open connections per client address and closes a new one beyond the limit at once, before it
 * reads anything: each connection holds a file descriptor, and one host must not take them all (KAS's other clients
 * would then time out connecting). One instance for all connections.
 */
@ChannelHandler.Sharable
final class ConnectionsPerAddress extends ChannelInboundHandlerAdapter {
    private final int limit;
    private final ConcurrentHashMap<String, Integer> open = new ConcurrentHashMap<>();

    ConnectionsPerAddress(int limit) {
        this.limit = limit;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        // Counted whether refused or not: every channel that became active passes channelInactive exactly once.
        if (open.merge(host(ctx.channel()), 1, Integer::sum) > limit) {
            ctx.close();
            return;
        }
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        open.computeIfPresent(host(ctx.channel()), (k, n) -> n <= 1 ? null : n - 1);
        super.channelInactive(ctx);
    }

    /** The client's address without its port (a client opens every connection from a new port). */
    static String host(Channel channel) {
        return channel.remoteAddress() instanceof InetSocketAddress a ? a.getAddress().getHostAddress() : "unknown";
    }
}
