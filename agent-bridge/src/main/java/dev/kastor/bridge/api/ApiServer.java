package dev.kastor.bridge.api;

import dev.kastor.bridge.listener.ConnectionsPerAddress;
import dev.kastor.bridge.listener.NettyListener;
import dev.kastor.bridge.listener.UnreadableRequest;
import dev.kastor.bridge.observability.JsonLog;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SslContext;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * KAS's API port: small request/response calls, each read whole before its {@link ApiEndpoint} runs on a virtual
 * thread. Every connection is bounded by {@link ApiLimits}: a client that says nothing, trickles its request, sends an
 * oversized one or never reads its answer loses the connection, and one host holds only so many.
 */
public final class ApiServer implements AutoCloseable {
    private final ExecutorService requests = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<String, ApiEndpoint> endpoints;
    private final ApiLimits limits;
    private final JsonLog log;
    private final NettyListener listener;

    /** {@code tls} null: plain HTTP (in-cluster, behind an ingress); {@code endpoints} by exact path. */
    public ApiServer(SocketAddress listen, SslContext tls, Map<String, ApiEndpoint> endpoints, ApiLimits limits, JsonLog log)
            throws InterruptedException {
        this.endpoints = Map.copyOf(endpoints);
        this.limits = limits;
        this.log = log;
        listener = new NettyListener(listen, limits.connectionsPerAddress(), tls, ch -> {
            ch.pipeline().addLast(new HttpServerCodec(new HttpDecoderConfig()
                    .setMaxInitialLineLength(limits.maxHead()).setMaxHeaderSize(limits.maxHead())));
            // answers 413 (and 100-continue) by itself; a body is never held beyond maxBody
            ch.pipeline().addLast(new HttpObjectAggregator(limits.maxBody(), true));
            ch.pipeline().addLast(new Connection());
        });
    }

    /** The TCP port bound; refused for a UNIX socket ({@link #address}). */
    public int port() {
        return listener.port();
    }

    public SocketAddress address() {
        return listener.address();
    }

    @Override
    public void close() {
        listener.close();
        requests.shutdownNow();
    }

    /** One client connection: one request at a time, reading paused while it is answered. */
    private final class Connection extends SimpleChannelInboundHandler<FullHttpRequest> {
        /** Closes the connection when it fires: armed for reading a request, then for writing its answer. */
        private ScheduledFuture<?> deadline;
        /** Answered with Connection: close: what the client still sends is drained, never served. */
        private boolean closing;

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            arm(ctx, limits.request());
            super.channelActive(ctx);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            disarm();
            super.channelInactive(ctx);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest msg) {
            if (closing) return;
            disarm();
            ctx.channel().config().setAutoRead(false);
            if (msg.decoderResult().isFailure()) {
                var r = UnreadableRequest.of(msg.decoderResult().cause(), limits.maxHead(), "KAS's API port accepts");
                answer(ctx, ApiResponse.message(r.code(), r.message()), false);
                return;
            }
            boolean keepAlive = HttpUtil.isKeepAlive(msg);
            String path = new QueryStringDecoder(msg.uri()).path();
            ApiEndpoint endpoint = endpoints.get(path);
            if (endpoint == null) {
                answer(ctx, ApiResponse.message(404, "KAS's API port has no " + path), keepAlive);
                return;
            }
            var headers = new HashMap<String, String>();
            msg.headers().forEach(h -> headers.putIfAbsent(h.getKey().toLowerCase(Locale.ROOT), h.getValue()));
            byte[] body = new byte[msg.content().readableBytes()];
            msg.content().readBytes(body);
            var request = new ApiRequest(msg.method().name(), path, headers, body, ConnectionsPerAddress.host(ctx.channel()));
            requests.execute(() -> answer(ctx, run(endpoint, request), keepAlive));
        }

        private ApiResponse run(ApiEndpoint endpoint, ApiRequest request) {
            try {
                return endpoint.handle(request);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return ApiResponse.message(503, "KAS is shutting down");
            } catch (RuntimeException e) {
                log.warn("API endpoint failed", Map.of("path", request.path(), "error", e.toString()));
                return ApiResponse.message(500, "KAS failed to answer " + request.path() + " (see KAS's log)");
            }
        }

        /** Writes the answer; then reads the next request (keep-alive) or closes. A client that does not read is cut. */
        private void answer(ChannelHandlerContext ctx, ApiResponse r, boolean keepAlive) {
            ctx.executor().execute(() -> {
                if (!ctx.channel().isActive()) return;
                arm(ctx, limits.response());
                ctx.writeAndFlush(http(r, keepAlive)).addListener((ChannelFutureListener) f -> {
                    disarm();
                    if (!f.isSuccess()) {
                        ctx.close();
                        return;
                    }
                    if (!keepAlive) {
                        closing = true;
                        UnreadableRequest.closeSoon(ctx);
                        return;
                    }
                    arm(ctx, limits.request());
                    ctx.channel().config().setAutoRead(true);
                });
            });
        }

        private void arm(ChannelHandlerContext ctx, Duration within) {
            disarm();
            deadline = ctx.executor().schedule(() -> ctx.close(), within.toNanos(), TimeUnit.NANOSECONDS);
        }

        private void disarm() {
            if (deadline != null) deadline.cancel(false);
            deadline = null;
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    private static FullHttpResponse http(ApiResponse r, boolean keepAlive) {
        var response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(r.status()), Unpooled.wrappedBuffer(r.body()));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, r.contentType());
        r.headers().forEach(response.headers()::set);
        HttpUtil.setContentLength(response, r.body().length);
        if (!keepAlive) response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        return response;
    }
}
