package dev.kastor.bridge.routing.server;

import com.google.protobuf.ByteString;
import dev.kastor.bridge.observability.Causes;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.bridge.observability.ProxyMetrics;
import dev.kastor.bridge.routing.RoutingDefaults;
import dev.kastor.bridge.tunnel.TunnelDefaults;
import dev.kastor.bridge.tunnel.rpc.AgentFrame;
import dev.kastor.bridge.tunnel.rpc.CloseSend;
import dev.kastor.bridge.tunnel.rpc.KasFrame;
import dev.kastor.bridge.tunnel.rpc.Message;
import dev.kastor.bridge.tunnel.rpc.RequestInfo;
import dev.kastor.bridge.tunnel.server.AgentFrames;
import dev.kastor.bridge.tunnel.server.ProxyTunnel;
import dev.kastor.bridge.tunnel.server.TunnelListener;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.net.ConnectException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;

/**
 * A tunnel to an agent whose streams another KAS replica holds: one private API call, started when the k8s proxy
 * starts the request. It behaves as a local {@link dev.kastor.bridge.tunnel.server.ServerTunnel} does (the agent's
 * frames come as many as {@link #requestNext} admits, plus a window of {@link TunnelDefaults#RESPONSE_WINDOW} after a header), so
 * the k8s proxy cannot tell them apart.
 *
 * <p>When the tracker names several holders and the call to one fails {@code UNAVAILABLE} (refused, replica gone)
 * before any frame came back and before any request body went out, the same request goes to the next holder (at most
 * {@link RoutingDefaults#MAX_REPLICA_ATTEMPTS}). Nothing is buffered for that: a request without body is all in
 * {@link RequestInfo} (and {@link CloseSend}), so it can be sent again as it was; once a body byte or an answer frame
 * has passed, the request is never sent again. Each retry is one warning in the log (with the request's correlation id)
 * and one count in {@link ProxyMetrics#retriedOnNextReplica}.
 * Every failure of the other replica ends up on the listener: 503 when it cannot be reached, 502 otherwise, never a hang.
 */
final class RemoteTunnel implements ProxyTunnel {
    private final ReplicaChannels replicas;
    private final List<String> holders;
    private final long agentId;
    private final ProxyMetrics metrics;
    private final JsonLog log;
    /** Holders tried before the current one, with why each failed (for the final error message). */
    private final List<String> failed = new ArrayList<>();
    private int next;
    private Attempt current;
    private RequestInfo info;
    private volatile TunnelListener listener;
    private boolean closeSent;
    private boolean bodySent;
    private boolean done;

    RemoteTunnel(ReplicaChannels replicas, List<String> holders, long agentId, ProxyMetrics metrics, JsonLog log) {
        if (holders.isEmpty()) throw new IllegalArgumentException("no replica to call");
        this.replicas = replicas;
        // Holders a connect just failed to go last (stable sort: otherwise the tracker's order, freshest first).
        var ordered = holders.stream().sorted(Comparator.comparing(replicas::recentlyUnreachable)).toList();
        this.holders = List.copyOf(ordered.subList(0, Math.min(ordered.size(), RoutingDefaults.MAX_REPLICA_ATTEMPTS)));
        this.agentId = agentId;
        this.metrics = metrics;
        this.log = log;
    }

    @Override
    public synchronized void start(RequestInfo info, TunnelListener l) {
        if (done) return;
        this.info = info;
        listener = l;
        metrics.routedToOtherReplica();
        attemptNext();
    }

    private void attemptNext() {
        var a = new Attempt(holders.get(next++));
        current = a;
        replicas.proxy(a.url, agentId, a); // calls beforeStart, which sets a.call
        a.call.onNext(KasFrame.newBuilder().setRequestInfo(info).build());
        if (closeSent) a.call.onNext(KasFrame.newBuilder().setCloseSend(CloseSend.getDefaultInstance()).build());
    }

    @Override
    public synchronized void send(ByteString data) {
        if (done || current == null) return;
        bodySent = true;
        current.call.onNext(KasFrame.newBuilder().setMessage(Message.newBuilder().setData(data)).build());
    }

    @Override
    public synchronized void closeSend() {
        if (done || current == null) return;
        closeSent = true;
        current.call.onNext(KasFrame.newBuilder().setCloseSend(CloseSend.getDefaultInstance()).build());
    }

    @Override
    public synchronized boolean ready() {
        return current != null && current.call.isReady();
    }

    @Override
    public void requestNext(int frames) {
        request(frames);
    }

    private synchronized void request(int frames) {
        if (!done && current != null) current.call.request(frames);
    }

    @Override
    public synchronized void finish(boolean ok) {
        if (done) return;
        done = true;
        if (current == null) return;
        try {
            if (ok) {
                current.call.onCompleted();
            } else {
                current.call.cancel("the client went away", null);
            }
        } catch (RuntimeException ignored) {
            // the call already ended
        }
    }

    /** Whether {@code a} is the live attempt; if so it ends the tunnel. */
    private synchronized boolean end(Attempt a) {
        if (done || a != current) return false;
        done = true;
        return true;
    }

    /**
     * Whether the failure of {@code a} sends the request to the next holder instead (and does so): only before
     * anything was answered or sent beyond what {@link #attemptNext} sends again, and only when running it twice does
     * no harm. UNAVAILABLE does not prove the request never reached the agent (the holder may have stopped, or its
     * tunnel broken, after passing it on): a request with effects goes again only when the holder was never reached.
     */
    private synchronized boolean retried(Attempt a, Status s) {
        if (done || a != current || s.getCode() != Status.Code.UNAVAILABLE || next >= holders.size() || !withoutEffect(a, s)) return false;
        failed.add(a.url + " (" + s.getCode() + describe(s) + ")");
        try {
            attemptNext();
        } catch (RuntimeException e) {
            // The next holder's call could not even start: the failure of `a` is the answer, so `a` must end the tunnel.
            Attempt broken = current;
            current = a;
            if (broken != a && broken.call != null) broken.call.cancel("not used", null);
            return false;
        }
        logRetry(a.url, s);
        return true;
    }

    /** One line per retry: which replica failed and why, which one is tried now. The status never carries the JWT. */
    private void logRetry(String failedUrl, Status s) {
        metrics.retriedOnNextReplica();
        var fields = new LinkedHashMap<String, Object>();
        fields.put("agent_id", agentId);
        fields.put("failed_replica", failedUrl);
        fields.put("code", s.getCode().name());
        fields.put("error", reason(s));
        fields.put("next_replica", current.url);
        fields.put("attempt", next);
        fields.put("max_attempts", holders.size());
        fields.put("method", info.getMethod());
        String correlationId = info.getCorrelationId();
        log.warn("retrying on the next replica holding the agent", correlationId.isEmpty() ? null : correlationId, fields);
    }

    /** The status's description and its innermost cause's message: for a refused connect gRPC says only "io exception". */
    private static String reason(Status s) {
        List<Throwable> causes = causes(s);
        Throwable root = causes.isEmpty() ? null : causes.getLast();
        String d = s.getDescription();
        String cause = root == null ? null : root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        String why = d == null ? (cause == null ? s.getCode().name() : cause) : cause == null || d.contains(cause) ? d : d + ": " + cause;
        return why.length() > 300 ? why.substring(0, 300) + "..." : why;
    }

    /**
     * Whether the request cannot have had an effect through {@code a}: nothing was answered or sent beyond what
     * {@link #attemptNext} sends again, and running it twice does no harm or the holder was never reached.
     */
    private synchronized boolean withoutEffect(Attempt a, Status s) {
        return !a.answered && !bodySent && (safeToRepeat(info) || neverConnected(s));
    }

    private static boolean safeToRepeat(RequestInfo info) {
        boolean upgrade = info.getHeadersMap().keySet().stream().anyMatch(h -> h.equalsIgnoreCase("upgrade"));
        return !upgrade && Set.of("GET", "HEAD", "OPTIONS").contains(info.getMethod());
    }

    private static boolean neverConnected(Status s) {
        return causes(s).stream().anyMatch(t -> t instanceof ConnectException);
    }

    /** The status's cause and its causes in turn, outermost first (at most 16: a cycle must not loop). */
    private static List<Throwable> causes(Status s) {
        var out = new ArrayList<Throwable>();
        for (Throwable t = s.getCause(); t != null && out.size() < 16 && !out.contains(t); t = t.getCause()) out.add(t);
        return out;
    }

    private synchronized String triedBefore() {
        return failed.isEmpty() ? "" : "; tried before it: " + String.join(", ", failed);
    }

    /**
     * What the status says. A transport failure's description is gRPC's "io exception" and its channel pipeline: its
     * cause says what went wrong (the TLS handshake's reason, a refused connection), so that is shown instead.
     */
    private static String describe(Status s) {
        if (s.getCause() != null) return ": " + Causes.describe(s.getCause());
        return s.getDescription() == null ? "" : ": " + s.getDescription();
    }

    /** One private API call to one holder; callbacks of an attempt that is no longer current are dropped. */
    private final class Attempt implements ClientResponseObserver<KasFrame, AgentFrame> {
        final String url;
        ClientCallStreamObserver<KasFrame> call;
        /** A frame came back: the request may have had effects, so it is never sent again. */
        volatile boolean answered;
        private volatile boolean headerSeen;

        Attempt(String url) {
            this.url = url;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<KasFrame> requestStream) {
            this.call = requestStream;
            requestStream.disableAutoRequestWithInitial(1);
            requestStream.setOnReadyHandler(() -> {
                TunnelListener l = listener;
                if (l != null && isCurrent()) l.ready();
            });
        }

        private boolean isCurrent() {
            synchronized (RemoteTunnel.this) {
                return current == this;
            }
        }

        @Override
        public void onNext(AgentFrame frame) {
            answered = true;
            TunnelListener l = listener;
            if (frame.hasHeader()) headerSeen = true;
            AgentFrames.deliver(frame, l, RemoteTunnel.this::request, () -> finish(true)); // as a local tunnel does
        }

        @Override
        public void onError(Throwable t) {
            Status s = Status.fromThrowable(t);
            if (retried(this, s)) return;
            if (!end(this)) return;
            TunnelListener l = listener;
            if (l == null) return;
            String what = "KAS replica " + url + " that holds agent " + agentId + "'s tunnels ";
            if (headerSeen) {
                l.broken(what + "broke off the response: " + s.getCode() + describe(s));
            } else if (s.getCode() == Status.Code.UNAVAILABLE || s.getCode() == Status.Code.DEADLINE_EXCEEDED) {
                // The client is told to come back only when the request cannot have had an effect (the same test as for
                // the next holder): client-go sends even a POST again on a Retry-After.
                l.error(503, what + "is unreachable over the private API (" + s.getCode() + describe(s) + triedBefore()
                        + "): try again; check that its own_private_api_url is reachable from the other replicas",
                        withoutEffect(this, s) ? TunnelDefaults.RETRY_AFTER_SECONDS : 0);
            } else if (s.getCode() == Status.Code.UNAUTHENTICATED) {
                l.error(502, what + "refused this replica's private API call (" + describe(s).replaceFirst("^: ", "")
                        + "): all replicas must share private_api_secret_key");
            } else {
                l.error(502, what + "failed the request: " + s.getCode() + describe(s));
            }
        }

        @Override
        public void onCompleted() {
            if (!end(this)) return;
            TunnelListener l = listener;
            if (l != null) l.broken("KAS replica " + url + " ended the call before the response was complete");
        }
    }
}
