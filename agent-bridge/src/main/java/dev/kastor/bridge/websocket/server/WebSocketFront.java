package dev.kastor.bridge.websocket.server;

import dev.kastor.bridge.listener.NettyListener;
import dev.kastor.bridge.observability.Causes;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.bridge.websocket.WebSocketDefaults;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.handler.ssl.SslContext;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * KAS's agent port when {@code listen.agent.websocket} is on: accepts a WebSocket upgrade on any path (over TLS
 * when the listener has a certificate) and pipes its binary messages, as raw bytes, to the gRPC server, which then
 * listens on a loopback port only. Each WebSocket is one HTTP/2 connection. Reads on either side wait until the
 * previous write is flushed, so neither side buffers more than one message.
 */
public final class WebSocketFront implements AutoCloseable {
    private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final NettyListener listener;
    private final InetSocketAddress grpc;
    private final JsonLog log;

    private final Duration handshakeTimeout;

    /**
     * @param handshakeTimeout how long a connection may take to finish its TLS handshake and WebSocket upgrade: a
     *     client that says nothing (or trickles) is closed instead of holding a file descriptor
     * @param connectionsPerAddress how many connections one host may hold open; one more is closed at once
     */
    public WebSocketFront(SocketAddress listen, SslContext tls, InetSocketAddress grpc, JsonLog log, Duration handshakeTimeout,
                          int connectionsPerAddress) throws InterruptedException {
        this.grpc = grpc;
        this.log = log;
        this.handshakeTimeout = handshakeTimeout;
        this.listener = new NettyListener(listen, connectionsPerAddress, tls, ch -> {
            connections.add(ch);
            ch.pipeline().addLast(new HttpServerCodec());
            ch.pipeline().addLast(new HttpObjectAggregator(64 * 1024));
            ch.pipeline().addLast(new Upgrade(tls != null));
        });
    }

    /** What the front is bound to: a TCP address, or a UNIX socket's. */
    public SocketAddress address() {
        return listener.address();
    }

    /** Answers the upgrade request (or 400 to anything else) and connects the gRPC side. */
    private final class Upgrade extends ChannelInboundHandlerAdapter {
        private final boolean tls;
        private volatile boolean upgraded;

        Upgrade(boolean tls) {
            this.tls = tls;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            ctx.executor().schedule(() -> {
                if (!upgraded) ctx.channel().close();
            }, handshakeTimeout.toNanos(), TimeUnit.NANOSECONDS);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof FullHttpRequest req)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            if (!req.headers().containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)) {
                req.release();
                refuse(ctx, HttpResponseStatus.BAD_REQUEST, "This is KAS's agent port and it speaks gRPC over WebSocket (listen.agent.websocket: true). "
                        + "Point kastor-agent at it with --kas " + (tls ? "wss" : "ws") + "://<host>:<port>/ (any path), "
                        + "or set listen.agent.websocket: false to let agents dial grpc" + (tls ? "s" : "") + "://.\n");
                return;
            }
            String url = (tls ? "wss://" : "ws://") + req.headers().get(HttpHeaderNames.HOST, "kas") + req.uri();
            WebSocketServerHandshaker handshaker =
                    new WebSocketServerHandshakerFactory(url, WebSocketDefaults.SUBPROTOCOL, false, WebSocketDefaults.MAX_FRAME).newHandshaker(req);
            if (handshaker == null) {
                req.release();
                WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
                return;
            }
            Channel front = ctx.channel();
            front.config().setAutoRead(false);
            new Bootstrap().group(front.eventLoop()).channel(NioSocketChannel.class)
                    .option(ChannelOption.AUTO_READ, false)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .handler(new ToAgent(front))
                    .connect(grpc)
                    .addListener((ChannelFutureListener) connected -> {
                        if (!connected.isSuccess()) {
                            req.release();
                            log.warn("websocket: cannot reach the local gRPC server", Map.of("error", Causes.describe(connected.cause())));
                            refuse(ctx, HttpResponseStatus.BAD_GATEWAY, "KAS cannot reach its own gRPC server\n");
                            return;
                        }
                        Channel backend = connected.channel();
                        handshaker.handshake(front, req).addListener((ChannelFutureListener) done -> {
                            req.release();
                            if (!done.isSuccess()) {
                                backend.close();
                                front.close();
                                return;
                            }
                            upgraded = true;
                            front.pipeline().replace(Upgrade.this, "to-grpc", new ToGrpc(backend));
                            front.closeFuture().addListener(f -> backend.close());
                            front.read();
                            backend.read();
                        });
                    });
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    private static void refuse(ChannelHandlerContext ctx, HttpResponseStatus status, String message) {
        var res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.copiedBuffer(message, StandardCharsets.UTF_8));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, res.content().readableBytes());
        res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
    }

    /**
     * One direction of the pipe: what arrives here goes to {@code other}, and the next read here waits until it is
     * flushed there, so that neither side buffers more than one message.
     */
    private abstract static class Pipe extends ChannelInboundHandlerAdapter {
        final Channel other;

        Pipe(Channel other) {
            this.other = other;
        }

        /** Writes {@code msg} to the other side; reads on here once it is flushed, or closes this side if it could not be. */
        void pass(ChannelHandlerContext ctx, Object msg) {
            other.writeAndFlush(msg).addListener((ChannelFutureListener) f -> {
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

    /** Agent (WebSocket frames) -> gRPC server (bytes). */
    private static final class ToGrpc extends Pipe {
        ToGrpc(Channel backend) {
            super(backend);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            switch (msg) {
                case BinaryWebSocketFrame f -> pass(ctx, f.content());
                case ContinuationWebSocketFrame f -> pass(ctx, f.content());
                case PingWebSocketFrame f -> ctx.writeAndFlush(new PongWebSocketFrame(f.content())).addListener(w -> ctx.read());
                case PongWebSocketFrame f -> {
                    f.release();
                    ctx.read();
                }
                case CloseWebSocketFrame f -> {
                    ctx.writeAndFlush(f.retainedDuplicate()).addListener(ChannelFutureListener.CLOSE);
                    f.release();
                }
                default -> {
                    // text frames are not part of the transport: the peer is not kastor-agent
                    ReferenceCountUtil.release(msg);
                    ctx.writeAndFlush(new CloseWebSocketFrame(1003, "binary messages only")).addListener(ChannelFutureListener.CLOSE);
                }
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            other.close();
        }
    }

    /** gRPC server (bytes) -> agent (binary WebSocket frames). */
    private static final class ToAgent extends Pipe {
        ToAgent(Channel front) {
            super(front);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            pass(ctx, new BinaryWebSocketFrame((ByteBuf) msg));
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            // gRPC ended the connection (max connection age, shutdown): end the WebSocket too, so the agent redials.
            if (other.isActive()) {
                other.writeAndFlush(new CloseWebSocketFrame(1001, "KAS closed the connection")).addListener(ChannelFutureListener.CLOSE);
            }
        }
    }

    @Override
    public void close() {
        connections.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        listener.close();
    }
}
