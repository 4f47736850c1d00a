package dev.kastor.bridge.kubeapi.server;

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
        String host = host(ctx);
        if (open.merge(host, 1, Integer::sum) > limit) {
            ctx.channel().attr(COUNTED).set(Boolean.TRUE);
            ctx.close();
            return;
        }
        ctx.channel().attr(COUNTED).set(Boolean.TRUE);
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (ctx.channel().attr(COUNTED).getAndSet(null) != null) open.computeIfPresent(host(ctx), (k, n) -> n <= 1 ? null : n - 1);
        super.channelInactive(ctx);
    }

    private static final io.netty.util.AttributeKey<Boolean> COUNTED = io.netty.util.AttributeKey.valueOf("kastor.counted-connection");

    private static String host(ChannelHandlerContext ctx) {
        return ctx.channel().remoteAddress() instanceof InetSocketAddress a ? a.getAddress().getHostAddress() : "unknown";
    }
}
