package dev.kastor.bridge.kubeapi.server;

import com.google.protobuf.ByteString;
import dev.kastor.bridge.kubeapi.HttpRules;
import dev.kastor.bridge.listener.ConnectionsPerAddress;
import dev.kastor.bridge.observability.Causes;
import dev.kastor.bridge.tunnel.TunnelDefaults;
import dev.kastor.bridge.tunnel.rpc.Header;
import dev.kastor.bridge.tunnel.rpc.RequestInfo;
import dev.kastor.bridge.tunnel.rpc.Values;
import dev.kastor.bridge.tunnel.server.ProxyTunnel;
import dev.kastor.bridge.tunnel.server.TunnelFinder;
import dev.kastor.bridge.tunnel.server.TunnelListener;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * One client request on the k8s proxy, from its head to the last byte of the answer. Authorisation and the wait
 * for a tunnel run on a virtual thread; everything touching the client connection runs on its Netty event loop.
 * Flow control both ways: request bytes stop being read while the agent cannot take more; the next response
 * message is requested from the agent only after the previous one was written to the client's socket.
 */
final class ProxyExchange implements TunnelListener {
    /** Besides what ends at a hop ({@link HttpRules}): the job's credentials and KAS's host never travel on. */
    private static final Set<String> NEVER_FORWARDED = Set.of("authorization", "host");

    private final ChannelHandlerContext ctx;
    private final HttpRequest request;
    private final ProxyContext proxy;
    private final String correlationId;
    private final Consumer<ProxyExchange> done;
    private final boolean upgradeRequested;
    private final boolean keepAlive;
    private final long startNanos = System.nanoTime();
    private final ArrayDeque<Object> pending = new ArrayDeque<>();
    private ProxyTunnel tunnel;
    private boolean responseStarted;
    private boolean upgraded;
    private boolean requestDone;
    private boolean finished;
    private int status;
    /** Response frames written to the client (on the event loop): every RESPONSE_REFILL of them admit as many more. */
    private long written;
    private boolean flushPending;
    /** This request's place in its job's share of the agent ({@link JobShares}): null none yet, then held, then {@link #GIVEN_BACK}. */
    private final AtomicReference<JobShares.Share> share = new AtomicReference<>();
    private static final JobShares.Share GIVEN_BACK = new JobShares.Share(0, 0, "");
    /** When the last piece of the request body arrived, and whether the body is complete (a pause inside it is bounded). */
    private long lastBodyNanos = System.nanoTime();
    private boolean bodyComplete;

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
        boolean hasBody = HttpUtil.isTransferEncodingChunked(request) || HttpUtil.getContentLength(request, 0L) > 0;
        if (!upgradeRequested && hasBody) ctx.executor().schedule(this::checkBodyIdle, proxy.limits().requestBodyIdle().toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * A body that stops half-way holds one of the agent's streams: bounded like kube-apiserver's request timeout bounds
     * a request, on the event loop, rescheduled rather than reset at every piece (pieces come fast).
     */
    private void checkBodyIdle() {
        if (finished || bodyComplete) return;
        long idle = proxy.limits().requestBodyIdle().toNanos();
        long quiet = System.nanoTime() - lastBodyNanos;
        if (quiet < idle) {
            ctx.executor().schedule(this::checkBodyIdle, idle - quiet, TimeUnit.NANOSECONDS);
        } else if (responseStarted) {
            abort();
        } else {
            fail(new K8sStatus(408, "Timeout", "the request body stopped for " + proxy.limits().requestBodyIdle().toSeconds()
                    + " s before its end: KAS gave the agent's tunnel stream back"));
        }
    }

    /** Counts this request against its job's and its address's share of the agent; 429 beyond it. */
    private void takeShare(AuthorizedRequest auth) throws ProxyFailure {
        if (share.get() != null) return; // taken in beginNow, which found no idle stream
        var wanted = new JobShares.Share(auth.agentId(), auth.jobId(), ConnectionsPerAddress.host(ctx.channel()));
        String refused = proxy.shares().acquire(wanted);
        if (refused != null) throw new ProxyFailure(new K8sStatus(429, "TooManyRequests", refused + ": retry in a moment"));
        if (!share.compareAndSet(null, wanted)) proxy.shares().release(wanted); // the exchange ended meanwhile
    }

    private void releaseShare() {
        JobShares.Share held = share.getAndSet(GIVEN_BACK);
        if (held != null && held != GIVEN_BACK) proxy.shares().release(held);
    }

    /**
     * On the event loop, the common case without a thread hop: KAS already holds GitLab's answer for this job and the
     * agent has an idle stream here. False when either needs waiting: then {@link #begin} does it on a virtual thread.
     */
    boolean beginNow() {
        ProxyTunnel idle = null;
        try {
            var auth = proxy.authorizer().authorizeFromCache(request.headers().get(HttpHeaderNames.AUTHORIZATION));
            if (auth.isEmpty()) return false;
            refuseImpersonationHeaders();
            takeShare(auth.get());
            idle = proxy.tunnels().findNow(auth.get().agentId());
            if (idle == null) return false;
            startOn(idle, auth.get());
        } catch (ProxyFailure f) {
            fail(f.status());
        } catch (RuntimeException e) {
            if (idle != null && tunnel == null) idle.finish(false);
            fail(K8sStatus.badGateway("KAS failed to proxy the request: " + e));
        }
        return true;
    }

    /** On a virtual thread: authorise (asking GitLab if need be), wait for the agent's tunnel, start the request through it. */
    void begin() {
        try {
            AuthorizedRequest auth = proxy.authorizer().authorize(request.headers().get(HttpHeaderNames.AUTHORIZATION));
            refuseImpersonationHeaders();
            takeShare(auth);
            ProxyTunnel chosen;
            try {
                chosen = proxy.tunnels().find(auth.agentId(), TunnelDefaults.WAIT_FOR_IDLE_STREAM);
            } catch (TunnelFinder.NoTunnel e) {
                throw new ProxyFailure(K8sStatus.unavailable(e.getMessage()));
            }
            onLoop(() -> {
                if (finished) {
                    chosen.finish(false);
                    return;
                }
                startOn(chosen, auth);
            });
        } catch (ProxyFailure f) {
            onLoop(() -> fail(f.status()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            onLoop(() -> fail(K8sStatus.unavailable("KAS is shutting down")));
        } catch (RuntimeException e) {
            onLoop(() -> fail(K8sStatus.badGateway("KAS failed to proxy the request: " + Causes.describe(e))));
        }
    }

    /**
     * A job never chooses who it is in the cluster, whatever the agent's {@code access_as}: with {@code agent} the
     * request carries the agent's service-account token, and that account may impersonate (for other projects'
     * {@code ci_job} mode), so a forwarded {@code Impersonate-User: system:admin} would be obeyed. GitLab's KAS refuses
     * them too.
     */
    private void refuseImpersonationHeaders() throws ProxyFailure {
        for (String name : request.headers().names()) {
            if (name.regionMatches(true, 0, "impersonate-", 0, "impersonate-".length())) {
                throw new ProxyFailure(K8sStatus.badRequest("impersonation headers (" + name + ", kubectl --as/--as-group) are not allowed"
                        + " through the agent: the agent's access_as in its config.yaml decides who the job is"));
            }
        }
    }

    /** On the event loop: the request goes out on the claimed tunnel, with whatever body arrived meanwhile. */
    private void startOn(ProxyTunnel chosen, AuthorizedRequest auth) {
        RequestInfo info = requestInfo(auth);
        tunnel = chosen;
        chosen.start(info, this);
        proxy.log().info("proxying", correlationId, Map.of("agent_id", auth.agentId(), "job_id", auth.jobId(),
                "method", request.method().name(), "path", info.getPath()));
        drainPending();
        ctx.channel().config().setAutoRead(true);
    }

    private RequestInfo requestInfo(AuthorizedRequest auth) {
        var decoder = new QueryStringDecoder(request.uri());
        String raw = request.uri();
        int q = raw.indexOf('?');
        String path = decoder.rawPath().substring(proxy.prefix().length());
        if (path.isEmpty()) path = "/";
        var b = RequestInfo.newBuilder().setMethod(request.method().name()).setPath(path)
                .setQuery(q < 0 ? "" : raw.substring(q + 1)).setCorrelationId(correlationId).setAcceptsResponse(true).setImpersonation(auth.impersonation());
        var options = HttpRules.connectionOptions(request.headers().getAll(HttpHeaderNames.CONNECTION));
        for (String name : request.headers().names()) {
            String lower = name.toLowerCase(Locale.ROOT);
            // Transfer-Encoding travels with the request so the agent knows a body of unknown length follows.
            boolean endsHere = HttpRules.endsAtHop(lower, options, upgradeRequested) && !lower.equals("transfer-encoding");
            if (endsHere || NEVER_FORWARDED.contains(lower)) continue;
            b.putHeaders(name, Values.newBuilder().addAllValue(request.headers().getAll(name)).build());
        }
        return b.build();
    }

    /** On the event loop: a piece of the request body (or raw bytes after an upgrade). */
    void requestContent(Object msg) {
        lastBodyNanos = System.nanoTime();
        if (msg instanceof LastHttpContent) bodyComplete = true;
        if (finished) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (tunnel == null) {
            pending.add(msg);
            return;
        }
        forward(msg);
    }

    private void drainPending() {
        while (!pending.isEmpty()) forward(pending.poll());
    }

    private void forward(Object msg) {
        try {
            ByteBuf buf = msg instanceof HttpContent c ? c.content() : (ByteBuf) msg;
            if (buf.isReadable()) tunnel.send(ByteString.copyFrom(buf.nioBuffer()));
            if (msg instanceof LastHttpContent && !upgradeRequested) {
                requestDone = true;
                tunnel.closeSend();
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
        // Pause the client while the agent cannot take more. Not once the request is over: the answer may already be
        // complete (its stream closed, so never ready again), and the connection must go on to read the next request.
        if (!requestDone && !finished && !tunnel.ready()) ctx.channel().config().setAutoRead(false);
    }

    @Override
    public void ready() {
        onLoop(() -> {
            if (!finished) ctx.channel().config().setAutoRead(true);
        });
    }

    @Override
    public void header(Header header) {
        onLoop(() -> {
            if (finished) return;
            responseStarted = true;
            status = header.getStatus();
            HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, status(header));
            copyHeaders(header, response);
            if (header.getStatus() == 101) {
                upgraded = true;
                ctx.write(response);
                ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
                // From here the connection is two raw byte streams: the HTTP codec leaves the pipeline.
                ctx.pipeline().remove(K8sProxyServer.CODEC);
                ctx.channel().config().setAutoRead(true);
                tunnel.requestNext(1);
                return;
            }
            if (!response.headers().contains(HttpHeaderNames.CONTENT_LENGTH)) HttpUtil.setTransferEncodingChunked(response, true);
            HttpUtil.setKeepAlive(response, keepAlive);
            ctx.writeAndFlush(response).addListener(next());
        });
    }

    @Override
    public void response(Header header, ByteString body) {
        onLoop(() -> {
            if (finished) return;
            responseStarted = true;
            status = header.getStatus();
            var response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status(header), Unpooled.wrappedBuffer(body.asReadOnlyByteBuffer()));
            copyHeaders(header, response);
            // The API server's own Content-Length stands: for a HEAD it is the size of the body not sent, and a 204 or
            // 304 must not get one.
            if (body.size() > 0 && !response.headers().contains(HttpHeaderNames.CONTENT_LENGTH)) HttpUtil.setContentLength(response, body.size());
            HttpUtil.setKeepAlive(response, keepAlive);
            end(response);
        });
    }

    private static HttpResponseStatus status(Header header) {
        return header.getReason().isEmpty() ? HttpResponseStatus.valueOf(header.getStatus())
                : HttpResponseStatus.valueOf(header.getStatus(), header.getReason());
    }

    private static void copyHeaders(Header header, HttpResponse response) {
        var options = new HashSet<String>();
        header.getHeadersMap().forEach((k, v) -> {
            if (k.equalsIgnoreCase("connection")) options.addAll(HttpRules.connectionOptions(v.getValueList()));
        });
        boolean upgrade = header.getStatus() == 101;
        header.getHeadersMap().forEach((k, v) -> {
            if (!HttpRules.endsAtHop(k, options, upgrade) && !NEVER_FORWARDED.contains(k.toLowerCase(Locale.ROOT))) {
                response.headers().add(k, v.getValueList());
            }
        });
    }

    @Override
    public void message(ByteString data) {
        onLoop(() -> {
            if (finished) return;
            ByteBuf buf = Unpooled.wrappedBuffer(data.asReadOnlyByteBuffer());
            ctx.write(upgraded ? buf : new DefaultHttpContent(buf)).addListener(next());
            flushSoon();
        });
    }

    /**
     * Flushes once the frames already queued for this event loop are written too: a large answer's frames arrive in
     * bursts, and one socket write per burst instead of per frame saves system calls (costly on virtual machines).
     */
    private void flushSoon() {
        if (flushPending) return;
        flushPending = true;
        ctx.executor().execute(() -> {
            flushPending = false;
            ctx.flush();
        });
    }

    private ChannelFutureListener next() {
        return f -> {
            if (!f.isSuccess()) {
                clientGone();
            } else if (++written % TunnelDefaults.RESPONSE_REFILL == 0) {
                tunnel.requestNext(TunnelDefaults.RESPONSE_REFILL);
            }
        };
    }

    @Override
    public void trailer() {
        onLoop(() -> {
            if (finished) return;
            end(upgraded ? Unpooled.EMPTY_BUFFER : LastHttpContent.EMPTY_LAST_CONTENT);
        });
    }

    /** The answer is complete once {@code last} is written; then the connection carries the next request, or closes. */
    private void end(Object last) {
        finished = true;
        releaseShare();
        proxy.metrics().done(status, System.nanoTime() - startNanos);
        var written = ctx.writeAndFlush(last);
        if (upgraded || !keepAlive || !requestDone) written.addListener(ChannelFutureListener.CLOSE);
        if (!upgraded) done.accept(this);
    }

    @Override
    public void error(int status, String message) {
        onLoop(() -> {
            if (responseStarted) {
                abort();
            } else {
                fail(switch (status) {
                    case 400 -> K8sStatus.badRequest(message); // the agent refused the request itself (e.g. its path)
                    case 503 -> K8sStatus.unavailable(message);
                    case 504 -> new K8sStatus(504, "Timeout", message);
                    default -> K8sStatus.badGateway(message);
                });
            }
        });
    }

    @Override
    public void broken(String why) {
        onLoop(() -> {
            if (responseStarted) {
                abort();
            } else {
                fail(K8sStatus.badGateway("the tunnel to the agent broke mid-request: " + why));
            }
        });
    }

    /** Runs on the connection's event loop; a bug there closes the connection instead of leaving the client hanging. */
    private void onLoop(Runnable r) {
        ctx.executor().execute(() -> {
            try {
                r.run();
            } catch (RuntimeException e) {
                proxy.log().info("proxy failure", correlationId, Map.of("error", String.valueOf(e)));
                if (tunnel != null) tunnel.finish(false);
                if (responseStarted) {
                    abort();
                } else {
                    fail(K8sStatus.badGateway("KAS failed to proxy the request: " + e));
                }
            }
        });
    }

    /** Answers with a Status (before any response went out). */
    void fail(K8sStatus s) {
        if (finished) return;
        finished = true;
        releaseShare();
        if (tunnel != null) tunnel.finish(false);
        pending.forEach(ReferenceCountUtil::release);
        pending.clear();
        proxy.metrics().done(s.code(), System.nanoTime() - startNanos);
        proxy.log().info("refused", correlationId, Map.of("code", s.code(), "message", s.message()));
        ctx.channel().config().setAutoRead(true);
        ctx.writeAndFlush(s.httpResponse()).addListener(ChannelFutureListener.CLOSE);
        done.accept(this);
    }

    /** The answer broke after it started: closing is the only honest signal left (the client sees a cut stream). */
    private void abort() {
        if (finished) return;
        finished = true;
        releaseShare();
        proxy.metrics().done(502, System.nanoTime() - startNanos);
        ctx.close();
    }

    /** On the event loop: the client connection closed. */
    void clientGone() {
        releaseShare();
        pending.forEach(ReferenceCountUtil::release);
        pending.clear();
        if (!finished) {
            finished = true;
            proxy.metrics().done(499, System.nanoTime() - startNanos);
        }
        if (tunnel != null) tunnel.finish(false);
    }
}
