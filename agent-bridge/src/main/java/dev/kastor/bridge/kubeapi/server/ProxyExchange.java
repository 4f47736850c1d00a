package dev.kastor.bridge.kubeapi.server;

import com.google.protobuf.ByteString;
import dev.kastor.bridge.kubeapi.HttpRules;
import dev.kastor.bridge.listener.ConnectionsPerAddress;
import dev.kastor.bridge.observability.Causes;
import dev.kastor.bridge.tunnel.TunnelDefaults;
import dev.kastor.bridge.tunnel.rpc.Header;
import dev.kastor.bridge.tunnel.rpc.RequestInfo;
import dev.kastor.bridge.tunnel.server.ProxyTunnel;
import dev.kastor.bridge.tunnel.server.TunnelListener;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One client request on the k8s proxy, from its head to the last byte of the answer. Admission (authorisation, the
 * wait for a tunnel) may run on a virtual thread; everything else runs on the client connection's event loop, which
 * alone reads and moves {@link #phase}. Flow control both ways: request bytes stop being read while the agent cannot
 * take more ({@link RequestBody}); the agent's next frames are admitted only as the previous ones are written to the
 * client's socket ({@link AnswerWrites}).
 */
final class ProxyExchange implements TunnelListener {
    /**
     * Where the exchange is, one field checked by every event, as OkHttp's {@code Http1ExchangeCodec} keeps its
     * {@code state}: the order of the whole exchange is {@link #from}, and {@link ProxyExchange#enter} is the only way to move.
     */
    enum Phase {
        /** Authorising and waiting for a tunnel; request body pieces are held. */
        ADMITTING,
        /** The request went out on the tunnel; the client has had nothing yet, so a failure can still be a Status. */
        FORWARDED,
        /** The answer's head went to the client and its body follows: a failure now can only cut the connection. */
        ANSWERING,
        /** A 101 went to the client: raw bytes both ways until either side ends. */
        UPGRADED,
        /** Answered, refused, cut, or left by the client: final, nothing more is written, forwarded or counted. */
        DONE;

        /** The phases after the answer's head went out: its body or raw bytes may follow, a failure cuts the connection. */
        static final Set<Phase> HEAD_SENT = Set.of(ANSWERING, UPGRADED);

        /** The phases this one is entered from. */
        Set<Phase> from() {
            return switch (this) {
                case ADMITTING -> Set.of();
                case FORWARDED -> Set.of(ADMITTING);
                case ANSWERING, UPGRADED -> Set.of(FORWARDED);
                case DONE -> Set.of(ADMITTING, FORWARDED, ANSWERING, UPGRADED);
            };
        }
    }

    private final ChannelHandlerContext ctx;
    private final HttpRequest request;
    private final ProxyContext proxy;
    private final String correlationId;
    private final Consumer<ProxyExchange> done;
    private final boolean upgradeRequested;
    private final boolean keepAlive;
    private final long startNanos = System.nanoTime();
    private final Admission admission;
    private final RequestBody body;
    private final AnswerWrites writes;
    private Phase phase = Phase.ADMITTING;
    private ProxyTunnel tunnel;
    /** The status the client was answered with, for the metrics at the end. */
    private int status;

    /**
     * @param done told once the exchange no longer needs the connection (its answer is written, or it was refused), so
     *     the connection can read its next request; not told after an upgrade, which keeps the connection to the end
     */
    ProxyExchange(ChannelHandlerContext ctx, HttpRequest request, ProxyContext proxy, String correlationId,
                  Consumer<ProxyExchange> done) {
        this.ctx = ctx;
        this.done = done;
        this.request = request;
        this.proxy = proxy;
        this.correlationId = correlationId;
        this.upgradeRequested = HttpRules.isUpgrade(request.headers().contains(HttpHeaderNames.UPGRADE),
                request.headers().getAll(HttpHeaderNames.CONNECTION));
        this.keepAlive = HttpUtil.isKeepAlive(request);
        this.admission = new Admission(request, proxy, ConnectionsPerAddress.host(ctx.channel()));
        this.body = new RequestBody(ctx.channel(), upgradeRequested);
        this.writes = new AnswerWrites(ctx, this::clientGone);
        boolean hasBody = HttpUtil.isTransferEncodingChunked(request) || HttpUtil.getContentLength(request, 0L) > 0;
        if (!upgradeRequested && hasBody) ctx.executor().schedule(this::checkBodyIdle, proxy.limits().requestBodyIdle().toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * The guard of every event: whether the exchange is in one of {@code expected}. Not once DONE: the event lost a
     * race with the end (the client left while the agent's answer was on its way, or the reverse) and is dropped. Any
     * other phase is an order no peer sends (a body before its head): a bug, which throws, and {@link #onLoop} ends
     * the exchange.
     */
    private boolean during(Set<Phase> expected) {
        if (expected.contains(phase)) return true;
        if (phase == Phase.DONE) return false;
        throw new IllegalStateException("proxy exchange " + correlationId + ": " + phase + " where only " + expected + " may be");
    }

    /** The one way the phase moves, guarded as {@link #during}. */
    private boolean enter(Phase next) {
        if (!during(next.from())) return false;
        phase = next;
        return true;
    }

    /** Into DONE, once: the share goes back and the exchange is counted, with the code the client got. */
    private boolean finish(int code) {
        if (!enter(Phase.DONE)) return false;
        admission.release();
        proxy.metrics().done(code, System.nanoTime() - startNanos);
        return true;
    }

    /**
     * A body that stops half-way holds one of the agent's streams: bounded like kube-apiserver's request timeout bounds
     * a request, on the event loop, rescheduled rather than reset at every piece (pieces come fast).
     */
    private void checkBodyIdle() {
        if (phase == Phase.DONE || body.received()) return;
        long idle = proxy.limits().requestBodyIdle().toNanos();
        long quiet = body.quietNanos();
        if (quiet < idle) {
            ctx.executor().schedule(this::checkBodyIdle, idle - quiet, TimeUnit.NANOSECONDS);
        } else {
            breakOff(new K8sStatus(408, "Timeout", "the request body stopped for " + proxy.limits().requestBodyIdle().toSeconds()
                    + " s before its end: KAS gave the agent's tunnel stream back"));
        }
    }

    /** On the event loop: true when admitted at once or refused; false when admission must wait ({@link #begin}). */
    boolean beginNow() {
        try {
            var admitted = admission.now();
            if (admitted.isEmpty()) return false;
            startOn(admitted.get());
        } catch (ProxyFailure f) {
            fail(f.status());
        } catch (RuntimeException e) {
            fail(K8sStatus.badGateway("KAS failed to proxy the request: " + e));
        }
        return true;
    }

    /** On a virtual thread: admission with waiting (GitLab, a busy agent), then the request goes out on the event loop. */
    void begin() {
        try {
            var admitted = admission.await();
            onLoop(() -> startOn(admitted));
        } catch (ProxyFailure f) {
            onLoop(() -> fail(f.status()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            onLoop(() -> fail(K8sStatus.unavailable("KAS is shutting down")));
        } catch (RuntimeException e) {
            onLoop(() -> fail(K8sStatus.badGateway("KAS failed to proxy the request: " + Causes.describe(e))));
        }
    }

    /** On the event loop: the request goes out on the claimed tunnel, with whatever body arrived meanwhile. */
    private void startOn(Admission.Admitted admitted) {
        if (!enter(Phase.FORWARDED)) {
            admitted.tunnel().finish(false); // the exchange ended while the tunnel was sought
            return;
        }
        tunnel = admitted.tunnel();
        var auth = admitted.auth();
        RequestInfo info = ProxyMessages.requestInfo(request, proxy.prefix(), correlationId, auth.impersonation(), upgradeRequested);
        tunnel.start(info, this);
        proxy.log().info("proxying", correlationId, Map.of("agent_id", auth.agentId(), auth.requesterField(), auth.requesterId(),
                "method", request.method().name(), "path", info.getPath()));
        body.drain(tunnel);
        ctx.channel().config().setAutoRead(true);
    }

    /** On the event loop: a piece of the request body (or raw bytes after an upgrade). */
    void requestContent(Object msg) {
        body.arrived(msg);
        switch (phase) {
            case ADMITTING -> body.hold(msg);
            case DONE -> ReferenceCountUtil.release(msg);
            default -> body.forward(msg, tunnel);
        }
    }

    @Override
    public void ready() {
        onLoop(() -> {
            if (phase != Phase.DONE) ctx.channel().config().setAutoRead(true);
        });
    }

    @Override
    public void header(Header header) {
        onLoop(() -> {
            if (!enter(header.getStatus() == 101 ? Phase.UPGRADED : Phase.ANSWERING)) return;
            status = header.getStatus();
            var head = ProxyMessages.head(header, keepAlive);
            if (phase == Phase.UPGRADED) {
                writes.switchProtocols(head, tunnel);
            } else {
                writes.head(head, tunnel);
            }
        });
    }

    @Override
    public void response(Header header, ByteString data) {
        onLoop(() -> {
            if (!during(Set.of(Phase.FORWARDED))) return;
            status = header.getStatus();
            end(ProxyMessages.whole(header, data, keepAlive));
        });
    }

    @Override
    public void message(ByteString data) {
        onLoop(() -> {
            if (!during(Phase.HEAD_SENT)) return;
            ByteBuf buf = Unpooled.wrappedBuffer(data.asReadOnlyByteBuffer());
            writes.frame(phase == Phase.UPGRADED ? buf : new DefaultHttpContent(buf), tunnel);
        });
    }

    @Override
    public void trailer() {
        onLoop(() -> {
            if (during(Phase.HEAD_SENT)) end(phase == Phase.UPGRADED ? Unpooled.EMPTY_BUFFER : LastHttpContent.EMPTY_LAST_CONTENT);
        });
    }

    /** The answer is complete once {@code last} is written; then the connection carries the next request, or closes. */
    private void end(Object last) {
        boolean upgraded = phase == Phase.UPGRADED;
        if (!finish(status)) return;
        var lastWrite = ctx.writeAndFlush(last);
        if (upgraded || !keepAlive || !body.sent()) lastWrite.addListener(ChannelFutureListener.CLOSE);
        if (!upgraded) done.accept(this);
    }

    /**
     * A 503 in a frame comes from the replica that held the agent and had no tunnel for the request any more: nothing
     * went out, and the agent is coming back to one of the replicas, so the client is told to come back.
     */
    @Override
    public void error(int code, String message) {
        error(code, message, code == 503 ? TunnelDefaults.RETRY_AFTER_SECONDS : 0);
    }

    @Override
    public void error(int code, String message, int retryAfterSeconds) {
        onLoop(() -> breakOff(switch (code) {
            case 400 -> K8sStatus.badRequest(message); // the agent refused the request itself (e.g. its path)
            case 503 -> K8sStatus.unavailable(message, retryAfterSeconds);
            case 504 -> new K8sStatus(504, "Timeout", message);
            default -> K8sStatus.badGateway(message);
        }));
    }

    @Override
    public void broken(String why) {
        onLoop(() -> breakOff(K8sStatus.badGateway("the tunnel to the agent broke mid-request: " + why)));
    }

    /** Runs on the connection's event loop; a bug there closes the connection instead of leaving the client hanging. */
    private void onLoop(Runnable r) {
        ctx.executor().execute(() -> {
            try {
                r.run();
            } catch (RuntimeException e) {
                proxy.log().info("proxy failure", correlationId, Map.of("error", String.valueOf(e)));
                if (tunnel != null) tunnel.finish(false);
                breakOff(K8sStatus.badGateway("KAS failed to proxy the request: " + e));
            }
        });
    }

    /** Ends the exchange on a failure: with a Status while the client has had nothing, else by cutting the connection. */
    private void breakOff(K8sStatus s) {
        if (Phase.HEAD_SENT.contains(phase)) {
            abort();
        } else {
            fail(s);
        }
    }

    /** Answers with a Status (before any response went out). */
    private void fail(K8sStatus s) {
        if (!finish(s.code())) return;
        if (tunnel != null) tunnel.finish(false);
        body.drop();
        proxy.log().info("refused", correlationId, Map.of("code", s.code(), "message", s.message()));
        ctx.channel().config().setAutoRead(true);
        ctx.writeAndFlush(s.httpResponse()).addListener(ChannelFutureListener.CLOSE);
        done.accept(this);
    }

    /** The answer broke after it started: closing is the only honest signal left (the client sees a cut stream). */
    private void abort() {
        if (finish(502)) ctx.close();
    }

    /** On the event loop: the client connection closed. Whatever ended the exchange before, its tunnel ends now. */
    void clientGone() {
        finish(499);
        body.drop();
        if (tunnel != null) tunnel.finish(false);
    }
}
