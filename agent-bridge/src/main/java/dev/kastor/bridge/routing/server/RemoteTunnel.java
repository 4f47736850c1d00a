package dev.kastor.bridge.routing.server;

import com.google.protobuf.ByteString;
import dev.kastor.bridge.routing.rpc.PrivateApiGrpc;
import dev.kastor.bridge.tunnel.TunnelDefaults;
import dev.kastor.bridge.tunnel.rpc.AgentFrame;
import dev.kastor.bridge.tunnel.rpc.CloseSend;
import dev.kastor.bridge.tunnel.rpc.KasFrame;
import dev.kastor.bridge.tunnel.rpc.Message;
import dev.kastor.bridge.tunnel.rpc.RequestInfo;
import dev.kastor.bridge.tunnel.server.ProxyTunnel;
import dev.kastor.bridge.tunnel.server.TunnelListener;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;

/**
 * A tunnel to an agent whose streams another KAS replica holds: one private API call, started when the k8s proxy
 * starts the request. It behaves as a local {@link dev.kastor.bridge.tunnel.server.ServerTunnel} does (the agent's
 * frames come as many as {@link #requestNext} admits, plus a window of {@link TunnelDefaults#RESPONSE_WINDOW} after a header), so
 * the k8s proxy cannot tell them apart.
 * Every failure of the other replica ends up on the listener: 503 when it cannot be reached, 502 otherwise, never a hang.
 */
final class RemoteTunnel implements ProxyTunnel, ClientResponseObserver<KasFrame, AgentFrame> {
    private final PrivateApiGrpc.PrivateApiStub stub;
    private final String replicaUrl;
    private final long agentId;
    private final Runnable onStart;
    private ClientCallStreamObserver<KasFrame> call;
    private volatile TunnelListener listener;
    private volatile boolean headerSeen;
    private boolean done;

    RemoteTunnel(PrivateApiGrpc.PrivateApiStub stub, String replicaUrl, long agentId, Runnable onStart) {
        this.stub = stub;
        this.replicaUrl = replicaUrl;
        this.agentId = agentId;
        this.onStart = onStart;
    }

    String replicaUrl() {
        return replicaUrl;
    }

    @Override
    public synchronized void start(RequestInfo info, TunnelListener l) {
        if (done) return;
        listener = l;
        onStart.run();
        stub.proxy(this); // calls beforeStart, which sets `call`
        call.onNext(KasFrame.newBuilder().setRequestInfo(info).build());
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<KasFrame> requestStream) {
        this.call = requestStream;
        requestStream.disableAutoRequestWithInitial(1);
        requestStream.setOnReadyHandler(() -> {
            TunnelListener l = listener;
            if (l != null) l.ready();
        });
    }

    @Override
    public synchronized void send(ByteString data) {
        if (done || call == null) return;
        call.onNext(KasFrame.newBuilder().setMessage(Message.newBuilder().setData(data)).build());
    }

    @Override
    public synchronized void closeSend() {
        if (done || call == null) return;
        call.onNext(KasFrame.newBuilder().setCloseSend(CloseSend.getDefaultInstance()).build());
    }

    @Override
    public synchronized boolean ready() {
        return call != null && call.isReady();
    }

    @Override
    public void requestNext(int frames) {
        request(frames);
    }

    private synchronized void request(int frames) {
        if (!done && call != null) call.request(frames);
    }

    @Override
    public synchronized void finish(boolean ok) {
        if (done) return;
        done = true;
        if (call == null) return;
        try {
            if (ok) {
                call.onCompleted();
            } else {
                call.cancel("the client went away", null);
            }
        } catch (RuntimeException ignored) {
            // the call already ended
        }
    }

    private synchronized boolean end() {
        if (done) return false;
        done = true;
        return true;
    }

    @Override
    public void onNext(AgentFrame frame) {
        TunnelListener l = listener;
        switch (frame.getFrameCase()) {
            case HEADER -> {
                headerSeen = true;
                l.header(frame.getHeader());
                request(TunnelDefaults.RESPONSE_WINDOW); // the same bounded window a local tunnel opens after the header
            }
            case MESSAGE -> l.message(frame.getMessage().getData());
            case RESPONSE -> {
                l.response(frame.getResponse().getHeader(), frame.getResponse().getBody());
                finish(true);
            }
            case TRAILER -> {
                l.trailer();
                finish(true);
            }
            case ERROR -> {
                l.error(frame.getError().getStatus(), frame.getError().getMessage());
                finish(true);
            }
            default -> request(1);
        }
    }

    @Override
    public void onError(Throwable t) {
        if (!end()) return;
        TunnelListener l = listener;
        if (l == null) return;
        Status s = Status.fromThrowable(t);
        String what = "KAS replica " + replicaUrl + " that holds agent " + agentId + "'s tunnels ";
        if (headerSeen) {
            l.broken(what + "broke off the response: " + s.getCode() + describe(s));
        } else if (s.getCode() == Status.Code.UNAVAILABLE || s.getCode() == Status.Code.DEADLINE_EXCEEDED) {
            l.error(503, what + "is unreachable over the private API (" + s.getCode() + describe(s) + "): try again; check that "
                    + "its own_private_api_url is reachable from the other replicas");
        } else if (s.getCode() == Status.Code.UNAUTHENTICATED) {
            l.error(502, what + "refused this replica's private API call (" + describe(s).replaceFirst("^: ", "")
                    + "): all replicas must share private_api_secret_key");
        } else {
            l.error(502, what + "failed the request: " + s.getCode() + describe(s));
        }
    }

    private static String describe(Status s) {
        return s.getDescription() == null ? "" : ": " + s.getDescription();
    }

    @Override
    public void onCompleted() {
        if (!end()) return;
        TunnelListener l = listener;
        if (l != null) l.broken("KAS replica " + replicaUrl + " ended the call before the response was complete");
    }
}
