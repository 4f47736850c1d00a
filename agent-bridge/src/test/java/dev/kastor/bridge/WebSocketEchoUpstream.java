package dev.kastor.bridge;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/** A real WebSocket server (Netty's RFC 6455 implementation) that echoes frames, prefixed with "echo:" for text. */
final class WebSocketEchoUpstream implements AutoCloseable {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel channel;
    final List<Map<String, String>> handshakes = new CopyOnWriteArrayList<>();

    WebSocketEchoUpstream() throws InterruptedException {
        channel = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(65536),
                                new SimpleChannelInboundHandler<io.netty.handler.codec.http.FullHttpRequest>(false) {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, io.netty.handler.codec.http.FullHttpRequest req) {
                                        var h = new java.util.HashMap<String, String>();
                                        req.headers().forEach(e -> h.put(e.getKey().toLowerCase(java.util.Locale.ROOT), e.getValue()));
                                        handshakes.add(h);
                                        ctx.fireChannelRead(req);
                                    }
                                },
                                new WebSocketServerProtocolHandler(io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig
                                        .newBuilder().websocketPath("/ws").checkStartsWith(true)
                                        .decoderConfig(io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig.newBuilder().maxFramePayloadLength(1 << 20).build()).build()),
                                new SimpleChannelInboundHandler<io.netty.handler.codec.http.FullHttpRequest>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, io.netty.handler.codec.http.FullHttpRequest req) {
                                        var r = new io.netty.handler.codec.http.DefaultFullHttpResponse(req.protocolVersion(),
                                                io.netty.handler.codec.http.HttpResponseStatus.NOT_FOUND);
                                        r.headers().set("Content-Length", 0);
                                        ctx.writeAndFlush(r);
                                    }
                                },
                                new SimpleChannelInboundHandler<WebSocketFrame>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
                                        if (frame instanceof TextWebSocketFrame t) {
                                            ctx.writeAndFlush(new TextWebSocketFrame("echo:" + t.text()));
                                        } else if (frame instanceof BinaryWebSocketFrame b) {
                                            ctx.writeAndFlush(new BinaryWebSocketFrame(b.content().retain()));
                                        }
                                    }
                                });
                    }
                }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    /** Headers of the WebSocket handshakes only (agents also ask the upstream GET /version when they register). */
    List<Map<String, String>> upgrades() {
        return handshakes.stream().filter(h -> h.containsKey("upgrade")).toList();
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + ((InetSocketAddress) channel.localAddress()).getPort());
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
    }
}
