package dev.kastor.bridge.kubeapi.server;

import dev.kastor.bridge.kubeapi.KubeApiDefaults;
import dev.kastor.bridge.kubeapi.RequestPaths;
import dev.kastor.bridge.listener.UnreadableRequest;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/** One client connection of the k8s proxy: one exchange at a time (kubectl and fabric8 do not pipeline). */
final class ProxyHandler extends ChannelInboundHandlerAdapter {
    private final ProxyContext proxy;
    private final ExecutorService workers;
    private ProxyExchange current;
    private ChannelHandlerContext context;
    /**
     * A request that arrived before the previous answer ended: clients send the next request as soon as they have
     * Content-Length bytes, while KAS still waits for the agent's trailer. Held (reading paused) until then.
     */
    private final ArrayDeque<Object> waiting = new ArrayDeque<>();

    /** Closes the connection unless a request head arrives in time; armed only while no exchange runs. */
    private ScheduledFuture<?> headTimer;

    ProxyHandler(ProxyContext proxy, ExecutorService workers) {
        this.proxy = proxy;
        this.workers = workers;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        context = ctx;
        awaitRequestHead(ctx, proxy.limits().requestHead());
        super.channelActive(ctx);
    }

    /**
     * A client that says nothing (or trickles) must not hold a connection and a file descriptor for ever: like
     * kube-apiserver's ReadHeaderTimeout and IdleTimeout, the connection closes when no request head came in time.
     */
    private void awaitRequestHead(ChannelHandlerContext ctx, Duration within) {
        cancelHeadTimer();
        headTimer = ctx.executor().schedule(() -> {
            if (current == null && waiting.isEmpty()) ctx.close();
        }, within.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void cancelHeadTimer() {
        if (headTimer != null) headTimer.cancel(false);
        headTimer = null;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        context = ctx;
        if (!waiting.isEmpty() || (current != null && msg instanceof HttpRequest && !(msg instanceof ByteBuf))) {
            if (waiting.size() > 64) {
                ReferenceCountUtil.release(msg);
                ctx.close();
                return;
            }
            waiting.add(msg);
            ctx.channel().config().setAutoRead(false);
            return;
        }
        if (msg instanceof HttpRequest req) {
            cancelHeadTimer();
            if (req.decoderResult().isFailure()) {
                ReferenceCountUtil.release(msg);
                refuseUnreadable(ctx, req.decoderResult().cause());
                return;
            }
            String path = req.uri();
            if (!(path.equals(proxy.prefix()) || path.startsWith(proxy.prefix() + "/") || path.startsWith(proxy.prefix() + "?"))) {
                notFound(ctx, path);
                ReferenceCountUtil.release(msg);
                return;
            }
            var refused = RequestPaths.whyRefused(new QueryStringDecoder(path).rawPath());
            if (refused.isPresent()) {
                ReferenceCountUtil.release(msg);
                answer(ctx, K8sStatus.badRequest(refused.get()));
                return;
            }
            String correlationId = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
            ProxyExchange ex = new ProxyExchange(ctx, req, proxy, correlationId, this::done);
            current = ex;
            ctx.channel().config().setAutoRead(false);
            if (!ex.beginNow()) workers.execute(ex::begin);
            if (msg instanceof HttpContent) ex.requestContent(msg); // a full request: its body comes with it
            else ReferenceCountUtil.release(msg);
        } else if (msg instanceof HttpContent || msg instanceof ByteBuf) {
            if (current == null) {
                ReferenceCountUtil.release(msg);
            } else {
                current.requestContent(msg);
            }
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    void done(ProxyExchange ex) {
        if (current != ex) return;
        current = null;
        if (context == null || !context.channel().isActive()) return;
        if (!waiting.isEmpty()) {
            var held = new ArrayList<>(waiting);
            waiting.clear();
            for (Object m : held) channelRead(context, m);
        }
        // Whatever paused reading for the finished exchange, the next request must be read.
        if (current == null) {
            context.channel().config().setAutoRead(true);
            awaitRequestHead(context, proxy.limits().keepAliveIdle());
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelHeadTimer();
        if (current != null) current.clientGone();
        current = null;
        waiting.forEach(ReferenceCountUtil::release);
        waiting.clear();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }

    private void notFound(ChannelHandlerContext ctx, String path) {
        String bare = path.replaceAll("\\?.*", "");
        // kubectl get --raw takes its path from the server's root, not from the kubeconfig's server URL: the usual way here.
        answer(ctx, new K8sStatus(404, "NotFound", "KAS serves the Kubernetes API under " + proxy.prefix() + "/, not " + bare
                + " (with kubectl get --raw, name the prefix: --raw " + proxy.prefix() + bare + ")"));
    }

    /** A request the codec could not read: 414, 431 or 400 as a Status, as kube-apiserver answers them. */
    private void refuseUnreadable(ChannelHandlerContext ctx, Throwable cause) {
        var r = UnreadableRequest.of(cause, KubeApiDefaults.MAX_REQUEST_HEAD, "KAS and the Kubernetes API server accept");
        answer(ctx, new K8sStatus(r.code(), r.reason(), r.message()));
    }

    /**
     * Answers with a Status and closes: what follows on the connection (an unread body, the rest of a header block
     * the codec now discards) is never read as a request. The close waits a moment for the client to take the answer,
     * as Go's net/http does: closing with its bytes unread would reset the connection and could lose the answer.
     */
    private void answer(ChannelHandlerContext ctx, K8sStatus s) {
        proxy.log().info("refused", null, Map.of("code", s.code(), "message", s.message()));
        proxy.metrics().done(s.code(), 0);
        ctx.channel().config().setAutoRead(true);
        ctx.writeAndFlush(s.httpResponse()).addListener(f -> UnreadableRequest.closeSoon(ctx));
    }
}
