package dev.kastor.bridge;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The part of a Kubernetes API server that {@code kubectl exec} and {@code kubectl logs -f} talk to, for one running
 * pod {@code default/web}: discovery, the pod itself, a log that follows (the second line only once the test
 * releases it), and exec over WebSocket with the {@code v5.channel.k8s.io} / {@code v4.channel.k8s.io}
 * subprotocols kubectl 1.30+ speaks (channel byte 1 = stdout, 3 = status). The mock API server cannot do exec or
 * log streaming, and no real one runs here (TESTING.md), so this serves exactly what kubectl reads, over a real
 * Netty HTTP/WebSocket stack.
 */
final class PodApiUpstream implements AutoCloseable {
    static final String POD_PATH = "/api/v1/namespaces/default/pods/web";

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel channel;
    /** Released by the test: the followed log then writes its second line and ends. */
    final CountDownLatch releaseSecondLogLine = new CountDownLatch(1);
    /** The command of every exec, as the query named it. */
    final List<List<String>> execs = new CopyOnWriteArrayList<>();

    PodApiUpstream() throws InterruptedException {
        channel = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20), new Handler());
                    }
                }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + ((InetSocketAddress) channel.localAddress()).getPort());
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    private final class Handler extends SimpleChannelInboundHandler<Object> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof FullHttpRequest req) {
                request(ctx, req);
            }
            // WebSocket frames from kubectl (stdin, resize) are not needed by these commands
        }

        private void request(ChannelHandlerContext ctx, FullHttpRequest req) {
            var q = new QueryStringDecoder(req.uri());
            String path = q.path();
            if (path.equals(POD_PATH + "/exec") && req.headers().contains(HttpHeaderNames.UPGRADE)) {
                exec(ctx, req, q.parameters().getOrDefault("command", List.of()));
                return;
            }
            if (path.equals(POD_PATH + "/log") && q.parameters().getOrDefault("follow", List.of()).contains("true")) {
                followLog(ctx);
                return;
            }
            String body = switch (path) {
                case "/api" -> "{\"kind\":\"APIVersions\",\"versions\":[\"v1\"],"
                        + "\"serverAddressByClientCIDRs\":[{\"clientCIDR\":\"0.0.0.0/0\",\"serverAddress\":\"127.0.0.1\"}]}";
                case "/apis" -> "{\"kind\":\"APIGroupList\",\"apiVersion\":\"v1\",\"groups\":[]}";
                case "/api/v1" -> "{\"kind\":\"APIResourceList\",\"groupVersion\":\"v1\",\"resources\":["
                        + "{\"name\":\"pods\",\"singularName\":\"pod\",\"namespaced\":true,\"kind\":\"Pod\",\"verbs\":[\"get\",\"list\"],\"shortNames\":[\"po\"]},"
                        + "{\"name\":\"pods/exec\",\"singularName\":\"\",\"namespaced\":true,\"kind\":\"PodExecOptions\",\"verbs\":[\"create\",\"get\"]},"
                        + "{\"name\":\"pods/log\",\"singularName\":\"\",\"namespaced\":true,\"kind\":\"Pod\",\"verbs\":[\"get\"]}]}";
                case POD_PATH -> """
                        {"kind":"Pod","apiVersion":"v1","metadata":{"name":"web","namespace":"default","uid":"5f0c","resourceVersion":"1"},
                         "spec":{"containers":[{"name":"app","image":"nginx"}]},
                         "status":{"phase":"Running","containerStatuses":[{"name":"app","ready":true,"restartCount":0,"image":"nginx","imageID":"","started":true,"state":{"running":{}}}]}}""";
                default -> null;
            };
            int code = body == null ? 404 : 200;
            if (body == null) body = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":\"NotFound\",\"code\":404}";
            var r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(code),
                    Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
            HttpUtil.setContentLength(r, r.content().readableBytes());
            ctx.writeAndFlush(r);
        }

        /** Line one at once; line two only when the test says so, so the test can see that line one was not held back. */
        private void followLog(ChannelHandlerContext ctx) {
            var r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
            HttpUtil.setTransferEncodingChunked(r, true);
            ctx.write(r);
            ctx.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer("first line\n", StandardCharsets.UTF_8)));
            Thread.ofVirtual().start(() -> {
                try {
                    if (!releaseSecondLogLine.await(60, TimeUnit.SECONDS)) return;
                } catch (InterruptedException e) {
                    return;
                }
                ctx.write(new DefaultHttpContent(Unpooled.copiedBuffer("second line\n", StandardCharsets.UTF_8)));
                ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
            });
        }

        /** Runs "echo" for real: stdout carries its arguments; the status channel says Success, as the kubelet does. */
        private void exec(ChannelHandlerContext ctx, FullHttpRequest req, List<String> command) {
            execs.add(command);
            var factory = new WebSocketServerHandshakerFactory("ws://" + req.headers().get(HttpHeaderNames.HOST) + POD_PATH + "/exec",
                    "v5.channel.k8s.io,v4.channel.k8s.io", false);
            var handshaker = factory.newHandshaker(req);
            if (handshaker == null) {
                WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
                return;
            }
            handshaker.handshake(ctx.channel(), req).addListener(f -> {
                if (!f.isSuccess()) return;
                String out = command.size() > 1 && command.getFirst().equals("echo")
                        ? String.join(" ", command.subList(1, command.size())) + "\n" : "";
                // kubectl registers its streams only after the handshake and drops output for a stream it does not
                // know yet; a kubelet writes only once the process ran, so write a moment later as it would.
                ctx.executor().schedule(() -> {
                    ctx.write(frame(1, out));
                    ctx.write(frame(3, "{\"metadata\":{},\"status\":\"Success\"}"));
                    ctx.writeAndFlush(new CloseWebSocketFrame(1000, "")).addListener(ChannelFutureListener.CLOSE);
                }, 300, TimeUnit.MILLISECONDS);
            });
        }

        private BinaryWebSocketFrame frame(int streamChannel, String text) {
            byte[] data = text.getBytes(StandardCharsets.UTF_8);
            var buf = Unpooled.buffer(1 + data.length);
            buf.writeByte(streamChannel);
            buf.writeBytes(data);
            return new BinaryWebSocketFrame(buf);
        }
    }
}
