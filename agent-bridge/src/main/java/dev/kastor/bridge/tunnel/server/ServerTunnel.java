package dev.kastor.bridge.tunnel.server;

import com.google.protobuf.ByteString;
import dev.kastor.bridge.tunnel.rpc.AgentFrame;
import dev.kastor.bridge.tunnel.rpc.CloseSend;
import dev.kastor.bridge.tunnel.rpc.KasFrame;
import dev.kastor.bridge.tunnel.rpc.Message;
import dev.kastor.bridge.tunnel.rpc.RequestInfo;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.atomic.AtomicBoolean;

/** KAS's end of one tunnel stream of one agent: idle until a proxied request claims it, then used exactly once. */
public final class ServerTunnel implements StreamObserver<AgentFrame>, ProxyTunnel {
    private final long agentId;
    private final ServerCallStreamObserver<KasFrame> toAgent;
    private final TunnelRegistry registry;
    private final AtomicBoolean claimed = new AtomicBoolean();
    private final AtomicBoolean done = new AtomicBoolean();
    private volatile TunnelListener listener;
    private volatile boolean helloSeen;

    ServerTunnel(long agentId, ServerCallStreamObserver<KasFrame> toAgent, TunnelRegistry registry) {
        this.agentId = agentId;
        this.toAgent = toAgent;
        this.registry = registry;
        toAgent.disableAutoRequest();
        toAgent.setOnReadyHandler(() -> {
            TunnelListener l = listener;
            if (l != null) l.ready();
        });
        toAgent.setOnCancelHandler(this::gone);
        toAgent.request(1); // the agent's hello
        registry.opened(this);
    }

    public long agentId() {
        return agentId;
    }

    boolean claim() {
        return !done.get() && claimed.compareAndSet(false, true);
    }

    /** Starts the request on this (claimed) tunnel; answers arrive at {@code l}. */
    @Override
    public synchronized void start(RequestInfo info, TunnelListener l) {
        this.listener = l;
        if (done.get()) {
            // the agent closed this stream after it was claimed: say so rather than send into a dead call
            l.broken("the agent's tunnel stream closed before the request started");
            return;
        }
        toAgent.onNext(KasFrame.newBuilder().setRequestInfo(info).build());
        toAgent.request(1);
    }

    /** Request bytes (body, or raw bytes after an upgrade). */
    @Override
    public synchronized void send(ByteString data) {
        if (done.get()) return;
        toAgent.onNext(KasFrame.newBuilder().setMessage(Message.newBuilder().setData(data)).build());
    }

    /** The client side has nothing more to send. */
    @Override
    public synchronized void closeSend() {
        if (done.get()) return;
        toAgent.onNext(KasFrame.newBuilder().setCloseSend(CloseSend.getDefaultInstance()).build());
    }

    /** Whether the agent can take more request bytes now; if not, {@link TunnelListener#ready} says when. */
    @Override
    public boolean ready() {
        return toAgent.isReady();
    }

    /** Lets the next frames from the agent through (as messages already written to the client make room). */
    @Override
    public void requestNext(int frames) {
        if (!done.get()) toAgent.request(frames);
    }

    /** Ends the stream: normally after the trailer, or because the client went away. */
    @Override
    public synchronized void finish(boolean ok) {
        if (!done.compareAndSet(false, true)) return;
        registry.closed(this);
        try {
            if (ok) {
                toAgent.onCompleted();
            } else {
                toAgent.onError(Status.CANCELLED.withDescription("client went away").asRuntimeException());
            }
        } catch (RuntimeException ignored) {
            // already cancelled by the transport
        }
    }

    /**
     * Ends the stream because the agent may no longer serve (its token was revoked): a request on it breaks with
     * {@code why}, and the agent hears it as {@code PERMISSION_DENIED}.
     */
    synchronized void revoke(String why) {
        if (!done.compareAndSet(false, true)) return;
        registry.closed(this);
        TunnelListener l = listener;
        if (l != null) l.broken(why);
        try {
            toAgent.onError(Status.PERMISSION_DENIED.withDescription(why).asRuntimeException());
        } catch (RuntimeException ignored) {
            // already cancelled by the transport
        }
    }

    @Override
    public void onNext(AgentFrame frame) {
        if (!helloSeen) {
            helloSeen = true;
            if (frame.hasHello()) {
                registry.idle(this);
                return;
            }
        }
        TunnelListener l = listener;
        if (l == null) {
            finish(false);
            return;
        }
        AgentFrames.deliver(frame, l, toAgent::request, () -> finish(true));
    }

    @Override
    public void onError(Throwable t) {
        gone();
    }

    @Override
    public void onCompleted() {
        gone();
    }

    private void gone() {
        if (done.compareAndSet(false, true)) {
            registry.closed(this);
            TunnelListener l = listener;
            if (l != null) l.broken("the agent's tunnel stream closed before the response was complete");
            try {
                toAgent.onCompleted();
            } catch (RuntimeException ignored) {
                // already closed
            }
        }
    }
}
