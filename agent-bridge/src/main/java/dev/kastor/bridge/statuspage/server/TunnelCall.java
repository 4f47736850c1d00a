package dev.kastor.bridge.statuspage.server;

import com.google.protobuf.ByteString;
import dev.kastor.bridge.tunnel.server.ProxyTunnel;
import dev.kastor.bridge.tunnel.server.TunnelFinder;
import dev.kastor.bridge.tunnel.server.TunnelListener;
import dev.kastor.bridge.tunnel.rpc.Header;
import dev.kastor.bridge.tunnel.rpc.Impersonation;
import dev.kastor.bridge.tunnel.rpc.RequestInfo;
import dev.kastor.bridge.tunnel.rpc.Values;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One request to an agent's Kubernetes API server through its tunnel, answered whole: the status page's reads of Flux
 * objects and inventories ({@code GET}, as the agent itself: no impersonation, the agent's own service account reads) and its
 * reconcile requests ({@code PATCH}, as whoever asked). Bounded in time and in size, so a slow agent or a huge list
 * cannot hold KAS's memory or a page's answer.
 */
final class TunnelCall implements TunnelListener {
    /** The answer: the API server's status and body. */
    record Answer(int status, byte[] body) {}

    /** The read could not be made or did not finish; the message says why, for the page. */
    static final class Failed extends Exception {
        Failed(String message) {
            super(message, null, false, false);
        }
    }

    private final CompletableFuture<Answer> answer = new CompletableFuture<>();
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();
    private final int maxBytes;
    private ProxyTunnel tunnel;
    private int status;

    private TunnelCall(int maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** A {@code GET} as the agent itself. */
    static Answer get(TunnelFinder tunnels, long agentId, String target, Duration within, int maxBytes) throws Failed, InterruptedException {
        return call(tunnels, agentId, "GET", target, null, null, Impersonation.getDefaultInstance(), within, maxBytes);
    }

    /**
     * {@code target} the path, with a query after {@code ?} when there is one; {@code body} null: none; {@code contentType}
     * its type. Runs as {@code as} (the default instance: the agent itself).
     */
    static Answer call(TunnelFinder tunnels, long agentId, String method, String target, byte[] body, String contentType, Impersonation as,
                       Duration within, int maxBytes) throws Failed, InterruptedException {
        var get = new TunnelCall(maxBytes);
        long deadline = System.nanoTime() + within.toNanos();
        try {
            get.tunnel = tunnels.find(agentId, within);
        } catch (TunnelFinder.NoTunnel e) {
            throw new Failed(e.getMessage());
        }
        int q = target.indexOf('?');
        String path = q < 0 ? target : target.substring(0, q);
        var info = RequestInfo.newBuilder().setMethod(method).setPath(path).setQuery(q < 0 ? "" : target.substring(q + 1))
                .putHeaders("Accept", Values.newBuilder().addValue("application/json").build())
                .setCorrelationId("status-page").setAcceptsResponse(true).setImpersonation(as);
        if (body != null) {
            info.putHeaders("Content-Type", Values.newBuilder().addValue(contentType).build());
            info.putHeaders("Content-Length", Values.newBuilder().addValue(String.valueOf(body.length)).build());
        }
        get.tunnel.start(info.build(), get);
        if (body != null) get.tunnel.send(ByteString.copyFrom(body));
        get.tunnel.closeSend();
        try {
            long left = Math.max(1, deadline - System.nanoTime());
            return get.answer.get(left, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            get.tunnel.finish(false);
            throw new Failed("agent " + agentId + " did not answer " + method + " " + path + " within " + within.toSeconds() + " s");
        } catch (ExecutionException e) {
            throw new Failed(e.getCause().getMessage());
        }
    }

    @Override
    public void header(Header header) {
        status = header.getStatus();
        tunnel.requestNext(1);
    }

    @Override
    public void response(Header header, ByteString whole) {
        if (whole.size() > maxBytes) {
            fail("the answer is larger than " + maxBytes + " bytes");
            return;
        }
        tunnel.finish(true);
        answer.complete(new Answer(header.getStatus(), whole.toByteArray()));
    }

    @Override
    public void message(ByteString data) {
        if (body.size() + data.size() > maxBytes) {
            fail("the answer is larger than " + maxBytes + " bytes");
            return;
        }
        body.writeBytes(data.toByteArray());
        tunnel.requestNext(1);
    }

    @Override
    public void trailer() {
        tunnel.finish(true);
        answer.complete(new Answer(status, body.toByteArray()));
    }

    @Override
    public void error(int status, String message) {
        fail(message);
    }

    @Override
    public void broken(String why) {
        answer.completeExceptionally(new Failed(why));
    }

    private void fail(String why) {
        tunnel.finish(false);
        answer.completeExceptionally(new Failed(why));
    }
}
