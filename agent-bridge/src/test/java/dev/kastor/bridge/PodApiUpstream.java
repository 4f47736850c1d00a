package dev.kastor.bridge;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPromise;
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
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.handler.codec.spdy.DefaultSpdyDataFrame;
import io.netty.handler.codec.spdy.DefaultSpdyPingFrame;
import io.netty.handler.codec.spdy.DefaultSpdySynReplyFrame;
import io.netty.handler.codec.spdy.SpdyDataFrame;
import io.netty.handler.codec.spdy.SpdyFrameCodec;
import io.netty.handler.codec.spdy.SpdyPingFrame;
import io.netty.handler.codec.spdy.SpdyRstStreamFrame;
import io.netty.handler.codec.spdy.SpdySynStreamFrame;
import io.netty.handler.codec.spdy.SpdyVersion;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The part of a Kubernetes API server that {@code kubectl exec}, {@code logs -f}, {@code attach} and
 * {@code port-forward} talk to, for the running pods {@code default/web}, {@code default/web-0} and
 * {@code default/console}: discovery, the pod itself, a log that follows (the second line only once the test releases
 * it), exec and attach over WebSocket with the {@code v5.channel.k8s.io} / {@code v4.channel.k8s.io} subprotocols
 * kubectl 1.30+ speaks (channel byte 0 = stdin, 1 = stdout, 3 = status, 4 = terminal size, 255 = close a stream) and
 * over SPDY, exec and attach with a terminal ({@code tty=true}: {@link CatOnATerminal}), and port-forward over WebSocket
 * with SPDY/3.1 framing inside ({@value #SPDY_OVER_WEBSOCKET}) or plain SPDY, its data streams connected to real TCP
 * servers the test names, a port without one answered with the kubelet's error. The mock API server cannot do any of
 * these streams, and no real one runs here (TESTING.md), so this serves exactly what kubectl reads, over a real Netty
 * HTTP/WebSocket/SPDY stack. Not covered: a real container runtime behind it (the processes are played: echo, cat, a
 * terminal's line discipline), exec over SPDY without a terminal, and SPDY flow control.
 */
final class PodApiUpstream implements AutoCloseable {
    static final String PODS = "/api/v1/namespaces/default/pods/";
    static final String POD_PATH = PODS + "web";
    /**
     * The running pods: {@code web} (exec, logs), {@code web-0} (attach, port-forward, as a StatefulSet's pod) and
     * {@code console}, whose container was started with a terminal ({@code tty: true}), for {@code attach -it}.
     */
    static final Set<String> POD_NAMES = Set.of("web", "web-0", "console");
    /**
     * The WebSocket subprotocol kubectl 1.31+ asks for first on {@code pods/portforward} (feature PortForwardWebsockets,
     * beta, on by default; {@code KUBECTL_PORT_FORWARD_WEBSOCKETS=false} turns it off): SPDY/3.1 framing carried in
     * binary WebSocket messages. Only if the upgrade fails does kubectl fall back to a plain SPDY upgrade (POST).
     */
    static final String SPDY_OVER_WEBSOCKET = "SPDY/3.1+portforward.k8s.io";

    private static final String CHANNEL_PROTOCOLS = "v5.channel.k8s.io,v4.channel.k8s.io";
    private static final String SUCCESS = "{\"metadata\":{},\"status\":\"Success\"}";

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel channel;
    /** Released by the test: the followed log then writes its second line and ends. */
    final CountDownLatch releaseSecondLogLine = new CountDownLatch(1);
    /** The command of every exec, as the query named it. */
    final List<List<String>> execs = new CopyOnWriteArrayList<>();
    /** Every attach's stdin as the attached process read it, recorded when the client closed stdin. */
    final List<String> attachStdin = new CopyOnWriteArrayList<>();
    /** The protocol of every attach the stand-in accepted: a WebSocket subprotocol, or "SPDY/3.1". */
    final List<String> attachProtocols = new CopyOnWriteArrayList<>();
    /** The protocol of every port-forward the stand-in accepted: a WebSocket subprotocol, or "SPDY/3.1". */
    final List<String> portForwardProtocols = new CopyOnWriteArrayList<>();
    /** The container port of every forwarded connection, as kubectl's {@code port} stream header named it. */
    final List<Integer> forwardedPorts = new CopyOnWriteArrayList<>();
    /** Container port -> the port of a real server on 127.0.0.1 that plays the container's listener. */
    private final Map<Integer, Integer> containerPorts = new ConcurrentHashMap<>();
    /** Every exec or attach that asked for a terminal ({@code tty=true}), in the order they were accepted. */
    final java.util.concurrent.BlockingQueue<TerminalSession> terminals = new java.util.concurrent.LinkedBlockingQueue<>();
    /** False plays an API server older than 1.31 (or with PortForwardWebsockets off): WebSocket port-forward refused. */
    volatile boolean webSocketPortForward = true;

    PodApiUpstream() throws InterruptedException {
        channel = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20), new Handler());
                    }
                }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    /** A port-forward to {@code containerPort} of any pod reaches the server listening on 127.0.0.1:{@code localPort}. */
    void serveContainerPort(int containerPort, int localPort) {
        containerPorts.put(containerPort, localPort);
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + ((InetSocketAddress) channel.localAddress()).getPort());
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    private static String podJson(String name) {
        return """
                {"kind":"Pod","apiVersion":"v1","metadata":{"name":"%s","namespace":"default","uid":"5f0c-%s","resourceVersion":"1"},
                 "spec":{"restartPolicy":"Always","containers":[{"name":"app","image":"nginx","stdin":true,"tty":%s,"ports":[{"containerPort":8080,"protocol":"TCP"}]}]},
                 "status":{"phase":"Running","containerStatuses":[{"name":"app","ready":true,"restartCount":0,"image":"nginx","imageID":"","started":true,"state":{"running":{}}}]}}"""
                .formatted(name, name, name.equals("console"));
    }

    /**
     * One exec or attach with a terminal, as the container's side saw it: the query kubectl sent, the SPDY streams it
     * opened (none for WebSocket, whose channels need no opening), every terminal size kubectl reported (the JSON of
     * the resize stream, channel 4 in the WebSocket protocols) and what the process read from its terminal.
     */
    static final class TerminalSession {
        final String subresource;
        final String pod;
        final Map<String, List<String>> query;
        final String protocol;
        final List<String> spdyStreams = new CopyOnWriteArrayList<>();
        final java.util.concurrent.BlockingQueue<String> resizes = new java.util.concurrent.LinkedBlockingQueue<>();
        private final StringBuffer read = new StringBuffer();
        final CountDownLatch exited = new CountDownLatch(1);

        TerminalSession(String subresource, String pod, Map<String, List<String>> query, String protocol) {
            this.subresource = subresource;
            this.pod = pod;
            this.query = Map.copyOf(query);
            this.protocol = protocol;
        }

        /** What the process read from its terminal so far (after the terminal turned Enter into a newline). */
        String read() {
            return read.toString();
        }
    }

    /**
     * {@code cat} on the container's terminal, with the line discipline of a pty in its default (cooked) mode: each
     * typed byte is echoed, Enter (CR, as a terminal in raw mode sends it) reaches the process as a newline and is
     * echoed as CR LF, cat writes each line back with CR LF (ONLCR), and Ctrl-D on an empty line is end of input, so
     * cat exits 0. It cannot cover what a real pty adds: line editing (backspace, Ctrl-U), signals (Ctrl-C), job
     * control, or a program that redraws the screen for a new size; the size is only recorded.
     */
    private static final class CatOnATerminal {
        private final TerminalSession session;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();
        boolean exited;

        CatOnATerminal(TerminalSession session) {
            this.session = session;
        }

        /** The bytes the terminal shows for {@code typed}: their echo and cat's output. */
        byte[] type(byte[] typed) {
            var screen = new ByteArrayOutputStream();
            for (byte b : typed) {
                if (exited) break;
                if (b == 0x04) { // VEOF: ends a partial line without a newline, or the input when the line is empty
                    if (line.size() == 0) {
                        exited = true;
                    } else {
                        session.read.append(line.toString(StandardCharsets.UTF_8));
                        screen.writeBytes(line.toByteArray());
                        line.reset();
                    }
                } else if (b == '\r' || b == '\n') {
                    String text = line.toString(StandardCharsets.UTF_8);
                    session.read.append(text).append('\n');
                    screen.writeBytes(("\r\n" + text + "\r\n").getBytes(StandardCharsets.UTF_8));
                    line.reset();
                } else {
                    screen.write(b);
                    line.write(b);
                }
            }
            return screen.toByteArray();
        }
    }

    /** The ID a container runtime gives the pod's sandbox: 64 hex digits, here derived from the pod's name. */
    static String sandboxId(String pod) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(pod.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A message of the channel protocol: one byte naming the stream, then its bytes. */
    private static BinaryWebSocketFrame frame(int streamChannel, byte[] data) {
        var buf = Unpooled.buffer(1 + data.length);
        buf.writeByte(streamChannel);
        buf.writeBytes(data);
        return new BinaryWebSocketFrame(buf);
    }

    private static BinaryWebSocketFrame frame(int streamChannel, String text) {
        return frame(streamChannel, text.getBytes(StandardCharsets.UTF_8));
    }

    private static WebSocketServerHandshaker handshaker(FullHttpRequest req, String subprotocols) {
        return new WebSocketServerHandshakerFactory("ws://" + req.headers().get(HttpHeaderNames.HOST) + req.uri(),
                subprotocols, false, 16 << 20).newHandshaker(req);
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
            boolean upgrade = req.headers().contains(HttpHeaderNames.UPGRADE);
            String pod = path.startsWith(PODS) ? path.substring(PODS.length()).split("/", 2)[0] : "";
            String sub = path.startsWith(PODS + pod + "/") ? path.substring((PODS + pod + "/").length()) : "";
            if (POD_NAMES.contains(pod) && upgrade) {
                switch (sub) {
                    case "exec" -> {
                        if (q.parameters().getOrDefault("tty", List.of()).contains("true")) {
                            execs.add(q.parameters().getOrDefault("command", List.of()));
                            terminal(ctx, req, "exec", pod, q.parameters());
                        } else {
                            exec(ctx, req, q.parameters().getOrDefault("command", List.of()));
                        }
                        return;
                    }
                    case "attach" -> {
                        if (q.parameters().getOrDefault("tty", List.of()).contains("true")) {
                            terminal(ctx, req, "attach", pod, q.parameters());
                        } else {
                            attach(ctx, req);
                        }
                        return;
                    }
                    case "portforward" -> {
                        portForward(ctx, req, pod);
                        return;
                    }
                    default -> {
                        // not a streaming subresource: answered 404 below
                    }
                }
            }
            if (POD_NAMES.contains(pod) && sub.equals("log") && q.parameters().getOrDefault("follow", List.of()).contains("true")) {
                followLog(ctx);
                return;
            }
            String body = switch (path) {
                case "/api" -> "{\"kind\":\"APIVersions\",\"versions\":[\"v1\"],"
                        + "\"serverAddressByClientCIDRs\":[{\"clientCIDR\":\"0.0.0.0/0\",\"serverAddress\":\"127.0.0.1\"}]}";
                case "/apis" -> "{\"kind\":\"APIGroupList\",\"apiVersion\":\"v1\",\"groups\":[]}";
                case "/api/v1" -> "{\"kind\":\"APIResourceList\",\"groupVersion\":\"v1\",\"resources\":["
                        + "{\"name\":\"pods\",\"singularName\":\"pod\",\"namespaced\":true,\"kind\":\"Pod\",\"verbs\":[\"get\",\"list\"],\"shortNames\":[\"po\"]},"
                        + "{\"name\":\"pods/attach\",\"singularName\":\"\",\"namespaced\":true,\"kind\":\"PodAttachOptions\",\"verbs\":[\"create\",\"get\"]},"
                        + "{\"name\":\"pods/exec\",\"singularName\":\"\",\"namespaced\":true,\"kind\":\"PodExecOptions\",\"verbs\":[\"create\",\"get\"]},"
                        + "{\"name\":\"pods/log\",\"singularName\":\"\",\"namespaced\":true,\"kind\":\"Pod\",\"verbs\":[\"get\"]},"
                        + "{\"name\":\"pods/portforward\",\"singularName\":\"\",\"namespaced\":true,\"kind\":\"PodPortForwardOptions\",\"verbs\":[\"create\",\"get\"]}]}";
                default -> POD_NAMES.contains(pod) && sub.isEmpty() ? podJson(pod) : null;
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
            webSocket(ctx, req, CHANNEL_PROTOCOLS, protocol -> {
                String out = command.size() > 1 && command.getFirst().equals("echo")
                        ? String.join(" ", command.subList(1, command.size())) + "\n" : "";
                // kubectl registers its streams only after the handshake and drops output for a stream it does not
                // know yet; a kubelet writes only once the process ran, so write a moment later as it would.
                ctx.executor().schedule(() -> {
                    ctx.write(frame(1, out));
                    ctx.write(frame(3, SUCCESS));
                    ctx.writeAndFlush(new CloseWebSocketFrame(1000, "")).addListener(ChannelFutureListener.CLOSE);
                }, 300, TimeUnit.MILLISECONDS);
            });
        }

        /**
         * {@code kubectl exec -it} (any command) or {@code attach -it} (to the {@code console} pod): the process is
         * {@link CatOnATerminal}. Over WebSocket ({@code v5.channel.k8s.io}) stdin is channel 0, the terminal's output
         * channel 1 (with a terminal there is no stderr: the kubelet merges it into the terminal), resize channel 4;
         * over SPDY ({@code v4.channel.k8s.io}) each is a stream of its own: {@link SpdyTerminal}.
         */
        private void terminal(ChannelHandlerContext ctx, FullHttpRequest req, String subresource, String pod, Map<String, List<String>> query) {
            if (!req.headers().get(HttpHeaderNames.UPGRADE, "").equalsIgnoreCase("websocket")) {
                var session = new TerminalSession(subresource, pod, query, "SPDY/3.1");
                spdyUpgrade(ctx, req, "v4.channel.k8s.io", new CopyOnWriteArrayList<>(), new SpdyTerminal(session));
                return;
            }
            webSocket(ctx, req, CHANNEL_PROTOCOLS, protocol -> {
                var session = new TerminalSession(subresource, pod, query, protocol);
                ctx.pipeline().replace(this, "terminal", new WebSocketTerminal(session));
                terminals.add(session);
            });
        }

        /** {@code kubectl attach -i}: the container's main process is {@link AttachedCat}. */
        private void attach(ChannelHandlerContext ctx, FullHttpRequest req) {
            if (!req.headers().get(HttpHeaderNames.UPGRADE, "").equalsIgnoreCase("websocket")) {
                spdyUpgrade(ctx, req, "v4.channel.k8s.io", attachProtocols, new SpdyAttachedCat());
                return;
            }
            webSocket(ctx, req, CHANNEL_PROTOCOLS, protocol -> {
                attachProtocols.add(protocol);
                ctx.pipeline().replace(this, "attached", new AttachedCat());
            });
        }

        /**
         * {@code kubectl port-forward}: after the WebSocket handshake the connection carries SPDY/3.1 frames as a byte
         * stream cut into binary messages at any point, so the messages are unwrapped into bytes for Netty's SPDY codec,
         * and the codec's bytes go back out as binary messages.
         */
        private void portForward(ChannelHandlerContext ctx, FullHttpRequest req, String pod) {
            boolean webSocket = req.headers().get(HttpHeaderNames.UPGRADE, "").equalsIgnoreCase("websocket");
            if (!webSocket) {
                spdyPortForward(ctx, req, pod);
                return;
            }
            if (!webSocketPortForward) {
                // What an API server without PortForwardWebsockets answers: the kubelet's WebSocket handler knows
                // no such subprotocol. kubectl then falls back to a plain SPDY upgrade.
                var r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.FORBIDDEN,
                        Unpooled.copiedBuffer("requested protocol(s) are not supported: [" + SPDY_OVER_WEBSOCKET + "]", StandardCharsets.UTF_8));
                r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
                HttpUtil.setContentLength(r, r.content().readableBytes());
                ctx.writeAndFlush(r);
                return;
            }
            webSocket(ctx, req, SPDY_OVER_WEBSOCKET, protocol -> {
                portForwardProtocols.add(protocol);
                var p = ctx.pipeline();
                p.addAfter(ctx.name(), "spdy-in-websocket", new SpdyInWebSocket());
                p.addAfter("spdy-in-websocket", "spdy", new SpdyFrameCodec(SpdyVersion.SPDY_3_1, false));
                p.addAfter("spdy", "port-forward", new PortForwardStreams(pod));
                p.remove(this);
            });
        }

        /**
         * The port-forward of every API server before 1.31 (and kubectl's fallback): POST with {@code Upgrade: SPDY/3.1}
         * and {@code X-Stream-Protocol-Version: portforward.k8s.io}; after the 101 the connection carries SPDY frames
         * directly.
         */
        private void spdyPortForward(ChannelHandlerContext ctx, FullHttpRequest req, String pod) {
            spdyUpgrade(ctx, req, "portforward.k8s.io", portForwardProtocols, new PortForwardStreams(pod));
        }

        /** The WebSocket handshake for {@code protocols}; {@code opened} gets the subprotocol chosen once it succeeded. */
        private void webSocket(ChannelHandlerContext ctx, FullHttpRequest req, String protocols, java.util.function.Consumer<String> opened) {
            var handshaker = handshaker(req, protocols);
            if (handshaker == null) {
                WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
                return;
            }
            handshaker.handshake(ctx.channel(), req).addListener(f -> {
                if (f.isSuccess()) opened.accept(String.valueOf(handshaker.selectedSubprotocol()));
            });
        }

        /**
         * A plain SPDY upgrade (POST, {@code Upgrade: SPDY/3.1}) to {@code protocol}, which must be among the
         * {@code X-Stream-Protocol-Version} values the client offered; after the 101 the connection carries SPDY
         * frames directly, handled by {@code streams}.
         */
        private void spdyUpgrade(ChannelHandlerContext ctx, FullHttpRequest req, String protocol, List<String> accepted, ChannelHandler streams) {
            String upgrade = req.headers().get(HttpHeaderNames.UPGRADE, "");
            boolean offered = req.headers().getAll("X-Stream-Protocol-Version").stream()
                    .flatMap(v -> java.util.Arrays.stream(v.split(","))).anyMatch(v -> v.trim().equals(protocol));
            if (!upgrade.equalsIgnoreCase("SPDY/3.1") || !offered) {
                var r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_REQUEST, Unpooled.EMPTY_BUFFER);
                HttpUtil.setContentLength(r, 0);
                ctx.writeAndFlush(r);
                return;
            }
            var r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS, Unpooled.EMPTY_BUFFER);
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
            r.headers().set(HttpHeaderNames.UPGRADE, "SPDY/3.1");
            r.headers().set("X-Stream-Protocol-Version", protocol);
            ctx.writeAndFlush(r).addListener(f -> {
                if (!f.isSuccess()) return;
                accepted.add("SPDY/3.1");
                var p = ctx.pipeline();
                p.addAfter(ctx.name(), "spdy", new SpdyFrameCodec(SpdyVersion.SPDY_3_1, false));
                p.addAfter("spdy", "streams", streams);
                p.remove(this);
                p.remove(HttpObjectAggregator.class);
                p.remove(HttpServerCodec.class);
            });
        }
    }

    /**
     * The attached {@code cat} of {@link AttachedCat} over SPDY ({@code v4.channel.k8s.io}, what kubectl speaks with
     * {@code KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false} or to an API server before 1.30): one SPDY stream per
     * {@code streamtype} (error, stdin, stdout, stderr). When stdin ends, the error stream reports Success and every
     * stream the server writes is finished, since kubectl waits for stdout, stderr and error to end.
     */
    private final class SpdyAttachedCat extends ChannelInboundHandlerAdapter {
        private final Map<String, Integer> streams = new HashMap<>();
        private final ByteArrayOutputStream stdin = new ByteArrayOutputStream();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                switch (msg) {
                    case SpdySynStreamFrame syn -> {
                        String type = String.valueOf(syn.headers().getAsString("streamtype"));
                        streams.put(type, syn.streamId());
                        var reply = new DefaultSpdySynReplyFrame(syn.streamId());
                        reply.headers().set("streamtype", type); // never an empty header block: see PortForwardStreams
                        ctx.writeAndFlush(reply);
                    }
                    case SpdyDataFrame data when Integer.valueOf(data.streamId()).equals(streams.get("stdin")) -> {
                        byte[] bytes = ByteBufUtil.getBytes(data.content());
                        stdin.writeBytes(bytes);
                        Integer stdout = streams.get("stdout");
                        if (stdout != null && bytes.length > 0) ctx.writeAndFlush(new DefaultSpdyDataFrame(stdout, Unpooled.wrappedBuffer(bytes)));
                        if (data.isLast()) exit(ctx);
                    }
                    case SpdyPingFrame ping -> ctx.writeAndFlush(new DefaultSpdyPingFrame(ping.id()));
                    default -> {
                        // the client's FIN on the error stream, SETTINGS, WINDOW_UPDATE: nothing to do
                    }
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        private void exit(ChannelHandlerContext ctx) {
            attachStdin.add(stdin.toString(StandardCharsets.UTF_8));
            Integer error = streams.get("error");
            if (error != null) {
                ctx.write(new DefaultSpdyDataFrame(error, Unpooled.copiedBuffer(SUCCESS, StandardCharsets.UTF_8)));
                ctx.write(new DefaultSpdyDataFrame(error).setLast(true));
            }
            for (String out : List.of("stdout", "stderr")) {
                Integer id = streams.get(out);
                if (id != null) ctx.write(new DefaultSpdyDataFrame(id).setLast(true));
            }
            ctx.flush();
        }
    }

    /**
     * The channel protocol's side of a WebSocket ({@code v5.channel.k8s.io}): answers pings, closes on close, and hands
     * each binary message on as its channel (first byte) and the rest.
     */
    private abstract static class WebSocketChannels extends SimpleChannelInboundHandler<WebSocketFrame> {
        @Override
        protected final void channelRead0(ChannelHandlerContext ctx, WebSocketFrame msg) {
            if (msg instanceof CloseWebSocketFrame) {
                ctx.close();
                return;
            }
            if (msg instanceof PingWebSocketFrame) {
                ctx.writeAndFlush(new PongWebSocketFrame(msg.content().retain()));
                return;
            }
            ByteBuf data = msg.content();
            if (msg instanceof BinaryWebSocketFrame && data.isReadable()) channel(ctx, data.readUnsignedByte(), data);
        }

        abstract void channel(ChannelHandlerContext ctx, int stream, ByteBuf data);
    }

    /** {@link CatOnATerminal} over the WebSocket channel protocol: stdin 0, terminal output 1, status 3, resize 4, close 255. */
    private final class WebSocketTerminal extends WebSocketChannels {
        private final TerminalSession session;
        private final CatOnATerminal cat;

        WebSocketTerminal(TerminalSession session) {
            this.session = session;
            this.cat = new CatOnATerminal(session);
        }

        @Override
        void channel(ChannelHandlerContext ctx, int stream, ByteBuf data) {
            if (cat.exited) return;
            switch (stream) {
                case 0 -> {
                    byte[] screen = cat.type(ByteBufUtil.getBytes(data));
                    if (screen.length > 0) ctx.writeAndFlush(frame(1, screen));
                    if (cat.exited) exit(ctx);
                }
                case 4 -> session.resizes.add(data.toString(StandardCharsets.UTF_8).trim());
                case 255 -> {
                    cat.exited = true;
                    exit(ctx);
                }
                default -> {
                    // kubectl writes on no other channel
                }
            }
        }

        private void exit(ChannelHandlerContext ctx) {
            session.exited.countDown();
            ctx.write(frame(3, SUCCESS));
            ctx.writeAndFlush(new CloseWebSocketFrame(1000, "")).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /**
     * {@link CatOnATerminal} over SPDY ({@code v4.channel.k8s.io}): kubectl opens one stream per {@code streamtype}; with
     * a terminal these are error, stdin, stdout and resize (no stderr). The session counts as accepted once all four
     * are open, as the kubelet waits for the streams the query announced before it starts.
     */
    private final class SpdyTerminal extends ChannelInboundHandlerAdapter {
        private final TerminalSession session;
        private final CatOnATerminal cat;
        private final Map<String, Integer> streams = new HashMap<>();
        private final ByteArrayOutputStream pendingResize = new ByteArrayOutputStream();

        SpdyTerminal(TerminalSession session) {
            this.session = session;
            this.cat = new CatOnATerminal(session);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                switch (msg) {
                    case SpdySynStreamFrame syn -> {
                        String type = String.valueOf(syn.headers().getAsString("streamtype"));
                        streams.put(type, syn.streamId());
                        session.spdyStreams.add(type);
                        var reply = new DefaultSpdySynReplyFrame(syn.streamId());
                        reply.headers().set("streamtype", type); // never an empty header block: see PortForwardStreams
                        ctx.writeAndFlush(reply);
                        if (streams.keySet().containsAll(List.of("error", "stdin", "stdout", "resize"))) terminals.add(session);
                    }
                    case SpdyDataFrame data when Integer.valueOf(data.streamId()).equals(streams.get("stdin")) -> {
                        byte[] screen = cat.type(ByteBufUtil.getBytes(data.content()));
                        Integer stdout = streams.get("stdout");
                        if (stdout != null && screen.length > 0) ctx.writeAndFlush(new DefaultSpdyDataFrame(stdout, Unpooled.wrappedBuffer(screen)));
                        if (cat.exited || data.isLast()) exit(ctx);
                    }
                    case SpdyDataFrame data when Integer.valueOf(data.streamId()).equals(streams.get("resize")) -> {
                        // one JSON object per line (Go's json.Encoder), cut into frames at any point
                        pendingResize.writeBytes(ByteBufUtil.getBytes(data.content()));
                        String text = pendingResize.toString(StandardCharsets.UTF_8);
                        int nl;
                        while ((nl = text.indexOf('\n')) >= 0) {
                            session.resizes.add(text.substring(0, nl).trim());
                            text = text.substring(nl + 1);
                        }
                        pendingResize.reset();
                        pendingResize.writeBytes(text.getBytes(StandardCharsets.UTF_8));
                    }
                    case SpdyPingFrame ping -> ctx.writeAndFlush(new DefaultSpdyPingFrame(ping.id()));
                    default -> {
                        // the client's FIN on the error stream, SETTINGS, WINDOW_UPDATE: nothing to do
                    }
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        private void exit(ChannelHandlerContext ctx) {
            if (session.exited.getCount() == 0) return;
            cat.exited = true;
            session.exited.countDown();
            Integer error = streams.get("error");
            if (error != null) {
                ctx.write(new DefaultSpdyDataFrame(error, Unpooled.copiedBuffer(SUCCESS, StandardCharsets.UTF_8)));
                ctx.write(new DefaultSpdyDataFrame(error).setLast(true));
            }
            Integer stdout = streams.get("stdout");
            if (stdout != null) ctx.write(new DefaultSpdyDataFrame(stdout).setLast(true));
            ctx.flush();
        }
    }

    /**
     * The attached process: {@code cat}. Stdin (channel 0) comes back on stdout (channel 1); when kubectl closes
     * stdin (v5: channel 255, byte 0) the process exits 0, which the status channel (3) reports before the close.
     */
    private final class AttachedCat extends WebSocketChannels {
        private final ByteArrayOutputStream stdin = new ByteArrayOutputStream();

        @Override
        void channel(ChannelHandlerContext ctx, int stream, ByteBuf data) {
            if (stream == 0) {
                byte[] bytes = ByteBufUtil.getBytes(data);
                stdin.writeBytes(bytes);
                ctx.writeAndFlush(frame(1, bytes));
            } else if (stream == 255 && data.isReadable() && data.readUnsignedByte() == 0) {
                attachStdin.add(stdin.toString(StandardCharsets.UTF_8));
                ctx.write(frame(3, SUCCESS));
                ctx.writeAndFlush(new CloseWebSocketFrame(1000, "")).addListener(ChannelFutureListener.CLOSE);
            }
        }
    }

    /** Binary (and continuation) WebSocket messages in, their bytes out to the SPDY codec; the codec's bytes out as binary messages. */
    private static final class SpdyInWebSocket extends ChannelDuplexHandler {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            switch (msg) {
                case BinaryWebSocketFrame f -> ctx.fireChannelRead(f.content());
                case ContinuationWebSocketFrame f -> ctx.fireChannelRead(f.content());
                case PingWebSocketFrame f -> ctx.writeAndFlush(new PongWebSocketFrame(f.content()));
                case CloseWebSocketFrame f -> {
                    f.release();
                    ctx.close();
                }
                default -> ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            ctx.write(msg instanceof ByteBuf b ? new BinaryWebSocketFrame(b) : msg, promise);
        }
    }

    /**
     * The kubelet's side of {@code portforward.k8s.io}: kubectl opens two SPDY streams per local connection, named by
     * the headers {@code streamType} (error, data), {@code port} and {@code requestID}; each gets a SYN_REPLY (kubectl
     * waits for it). Data stream bytes go to the container's listener and its bytes come back on the data stream;
     * when the listener closes, both streams are finished, as kubectl waits for the error stream to end.
     */
    private final class PortForwardStreams extends ChannelInboundHandlerAdapter {
        private final Map<String, Integer> errorStreams = new ConcurrentHashMap<>();
        private final Map<Integer, Socket> containers = new ConcurrentHashMap<>();
        /** The pod's sandbox as the container runtime names it (64 hex digits), and its network namespace. */
        private final String sandboxId;
        private final String netns;

        PortForwardStreams(String pod) {
            this.sandboxId = sandboxId(pod);
            this.netns = java.util.UUID.nameUUIDFromBytes(pod.getBytes(StandardCharsets.UTF_8)).toString();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) throws IOException {
            try {
                switch (msg) {
                    case SpdySynStreamFrame syn -> open(ctx, syn);
                    case SpdyDataFrame data -> {
                        Socket container = containers.get(data.streamId());
                        if (container == null) return;
                        // A blocking write on the event loop: the listener is a local server that reads at once, and
                        // the test's payloads are small. No SPDY flow control either way: spdystream (kubectl) neither
                        // waits for WINDOW_UPDATE nor needs one (300 KiB pass in each direction without).
                        container.getOutputStream().write(ByteBufUtil.getBytes(data.content()));
                        if (data.isLast()) container.shutdownOutput();
                    }
                    case SpdyPingFrame ping -> ctx.writeAndFlush(new DefaultSpdyPingFrame(ping.id()));
                    case SpdyRstStreamFrame rst -> {
                        Socket container = containers.remove(rst.streamId());
                        if (container != null) container.close();
                    }
                    default -> {
                        // SETTINGS, WINDOW_UPDATE, GOAWAY: nothing this stand-in needs to act on
                    }
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        private void open(ChannelHandlerContext ctx, SpdySynStreamFrame syn) throws IOException {
            int id = syn.streamId();
            String type = String.valueOf(syn.headers().getAsString("streamtype"));
            String requestId = String.valueOf(syn.headers().getAsString("requestid"));
            // Netty writes an empty header block as no bytes at all, which spdystream (kubectl) cannot inflate: it
            // answers GOAWAY. One header makes Netty write the zlib block the kubelet's Go framer always writes.
            var reply = new DefaultSpdySynReplyFrame(id);
            reply.headers().set("streamtype", type);
            ctx.writeAndFlush(reply);
            if (type.equals("error")) {
                errorStreams.put(requestId, id);
                return;
            }
            int port = Integer.parseInt(String.valueOf(syn.headers().getAsString("port")));
            forwardedPorts.add(port);
            Integer local = containerPorts.get(port);
            if (local == null) {
                // Nothing listens on the port: the kubelet writes its forwarder's error on the error stream, then
                // closes both streams. The wording is containerd's (the CRI runtime of most clusters), as kubectl
                // users see it; the pod is named by its sandbox ID and the uid is empty, as the CRI streaming server does.
                Integer error = errorStreams.get(requestId);
                if (error != null) {
                    ctx.write(new DefaultSpdyDataFrame(error, Unpooled.copiedBuffer(refusedPortError(port), StandardCharsets.UTF_8)));
                    ctx.write(new DefaultSpdyDataFrame(error).setLast(true));
                }
                ctx.writeAndFlush(new DefaultSpdyDataFrame(id).setLast(true));
                return;
            }
            var container = new Socket("127.0.0.1", local);
            containers.put(id, container);
            Thread.ofVirtual().name("port-forward-" + requestId).start(() -> {
                byte[] buf = new byte[16 * 1024];
                try (container) {
                    InputStream in = container.getInputStream();
                    int n;
                    while ((n = in.read(buf)) >= 0) {
                        ctx.writeAndFlush(new DefaultSpdyDataFrame(id, Unpooled.copiedBuffer(buf, 0, n)));
                    }
                } catch (IOException e) {
                    // the stream was reset or the tunnel closed: finish the streams all the same
                }
                ctx.write(new DefaultSpdyDataFrame(id).setLast(true));
                Integer error = errorStreams.remove(requestId);
                if (error != null) ctx.write(new DefaultSpdyDataFrame(error).setLast(true));
                ctx.flush();
            });
        }

        private String refusedPortError(int port) {
            return ("error forwarding port %d to pod %s, uid : failed to execute portforward in network namespace \"/var/run/netns/cni-%s\": "
                    + "failed to connect to localhost:%d inside namespace \"%s\", IPv4: dial tcp4 127.0.0.1:%d: connect: connection refused "
                    + "IPv6 dial tcp6 [::1]:%d: connect: connection refused ").formatted(port, sandboxId, netns, port, sandboxId, port, port);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            containers.values().forEach(s -> {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // already closed
                }
            });
            ctx.fireChannelInactive();
        }
    }
}
