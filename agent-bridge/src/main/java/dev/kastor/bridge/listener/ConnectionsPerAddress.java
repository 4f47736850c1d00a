package dev.kastor.bridge.listener;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * The first handler of a Netty listener's connections (k8s proxy, API port, WebSocket front): closes a new connection
 * beyond the per-address limit at once, before it reads anything ({@link AddressCounts}). One instance per listener.
 */
@ChannelHandler.Sharable
public final class ConnectionsPerAddress extends ChannelInboundHandlerAdapter {
    private final AddressCounts counts;

    public ConnectionsPerAddress(int limit) {
        this.counts = new AddressCounts(limit);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        // Counted whether refused or not: every channel that became active passes channelInactive exactly once.
        if (!counts.opened(host(ctx.channel()))) {
            ctx.close();
            return;
        }
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        counts.closed(host(ctx.channel()));
        super.channelInactive(ctx);
    }

    /** The client's host without its port. */
    public static String host(Channel channel) {
        return AddressCounts.host(channel.remoteAddress());
    }
}
