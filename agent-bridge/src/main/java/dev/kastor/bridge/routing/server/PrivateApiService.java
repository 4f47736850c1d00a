package dev.kastor.bridge.routing.server;

import com.google.protobuf.ByteString;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.bridge.routing.rpc.PrivateApiGrpc;
import dev.kastor.bridge.tunnel.TunnelDefaults;
import dev.kastor.bridge.tunnel.rpc.AgentFrame;
import dev.kastor.bridge.tunnel.rpc.Error;
import dev.kastor.bridge.tunnel.rpc.Header;
import dev.kastor.bridge.tunnel.rpc.KasFrame;
import dev.kastor.bridge.tunnel.rpc.Message;
import dev.kastor.bridge.tunnel.rpc.Response;
import dev.kastor.bridge.tunnel.rpc.Trailer;
import dev.kastor.bridge.tunnel.server.ServerTunnel;
import dev.kastor.bridge.tunnel.server.TunnelFinder;
import dev.kastor.bridge.tunnel.server.TunnelListener;
import dev.kastor.bridge.tunnel.server.TunnelRegistry;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The receiving end of the private API: another replica carries a request for an agent whose tunnels this replica
 * holds. It takes one local tunnel stream and pipes frames both ways, one at a time: the next frame is asked of the
 * caller only when the agent can take more, and of the agent only when the caller can take more, so nothing is
 * buffered beyond gRPC's own flow-control windows.
 */
final class PrivateApiService extends PrivateApiGrpc.PrivateApiImplBase {
    private final TunnelRegistry tunnels;
    private final ExecutorService waits;
    private final String ownUrl;
    private final JsonLog log;

    PrivateApiService(TunnelRegistry tunnels, ExecutorService waits, String ownUrl, JsonLog log) {
        this.tunnels = tunnels;
        this.waits = waits;
        this.ownUrl = ownUrl;
        this.log = log;
    }

    @Override
    public StreamObserver<KasFrame> proxy(StreamObserver<AgentFrame> responses) {
        long agentId = PrivateApiAuthInterceptor.AGENT_ID.get();
        var pipe = new Pipe(agentId, (ServerCallStreamObserver<AgentFrame>) responses);
        // Taking a tunnel may wait for a busy agent's stream: not on a gRPC thread.
        waits.execute(pipe::attach);
        return pipe;
    }

    private final class Pipe implements StreamObserver<KasFrame>, TunnelListener {
        private final long agentId;
        private final ServerCallStreamObserver<AgentFrame> caller;
        private final AtomicBoolean waitingForAgent = new AtomicBoolean();
        /** Agent frames passed to the caller whose credit goes back to the agent once the caller can take more. */
        private final AtomicInteger owed = new AtomicInteger();
        private volatile ServerTunnel tunnel;
        private volatile boolean callerGone;
        private boolean ended;

        Pipe(long agentId, ServerCallStreamObserver<AgentFrame> caller) {
            this.agentId = agentId;
            this.caller = caller;
            caller.disableAutoRequest();
            caller.setOnCancelHandler(() -> {
                callerGone = true;
                ServerTunnel t = tunnel;
                if (t != null) t.finish(false);
            });
            caller.setOnReadyHandler(this::giveCreditBack);
        }

        void attach() {
            ServerTunnel t;
            try {
                t = tunnels.take(agentId, TunnelDefaults.WAIT_FOR_IDLE_STREAM).orElse(null);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                t = null;
            }
            if (t == null) {
                error(503, TunnelFinder.noTunnel(tunnels, agentId, "KAS replica " + ownUrl).getMessage()
                        + " (it was when the request was routed here)");
                return;
            }
            tunnel = t;
            if (callerGone) {
                t.finish(false);
                return;
            }
            caller.request(1); // RequestInfo
        }

        // caller -> agent

        @Override
        public void onNext(KasFrame frame) {
            ServerTunnel t = tunnel;
            switch (frame.getFrameCase()) {
                case REQUEST_INFO -> {
                    log.info("routed request", frame.getRequestInfo().getCorrelationId(), Map.of("agent_id", agentId));
                    t.start(frame.getRequestInfo(), this);
                }
                case MESSAGE -> t.send(frame.getMessage().getData());
                case CLOSE_SEND -> t.closeSend();
                default -> { }
            }
            waitingForAgent.set(true);
            if (t.ready() && waitingForAgent.compareAndSet(true, false)) caller.request(1);
        }

        @Override
        public void ready() {
            if (waitingForAgent.compareAndSet(true, false)) caller.request(1);
        }

        @Override
        public void onError(Throwable t) {
            callerGone = true;
            ServerTunnel st = tunnel;
            if (st != null) st.finish(false);
        }

        @Override
        public void onCompleted() {
            // The caller half-closes only once its request is over; the tunnel ends with the agent's trailer.
        }

        // agent -> caller

        @Override
        public synchronized void header(Header header) {
            if (ended) return;
            caller.onNext(AgentFrame.newBuilder().setHeader(header).build());
        }

        @Override
        public synchronized void response(Header header, ByteString body) {
            if (ended) return;
            ended = true;
            caller.onNext(AgentFrame.newBuilder().setResponse(Response.newBuilder().setHeader(header).setBody(body)).build());
            caller.onCompleted();
        }

        @Override
        public synchronized void message(ByteString data) {
            if (ended) return;
            caller.onNext(AgentFrame.newBuilder().setMessage(Message.newBuilder().setData(data)).build());
            owed.incrementAndGet();
            if (caller.isReady()) giveCreditBack();
        }

        /** Every frame the caller took since the last time, at once: one credit per wake-up kept the window at one frame. */
        private void giveCreditBack() {
            ServerTunnel t = tunnel;
            int n = owed.getAndSet(0);
            if (t != null && n > 0) t.requestNext(n);
        }

        @Override
        public synchronized void trailer() {
            if (ended) return;
            ended = true;
            caller.onNext(AgentFrame.newBuilder().setTrailer(Trailer.getDefaultInstance()).build());
            caller.onCompleted();
        }

        @Override
        public synchronized void error(int status, String message) {
            if (ended) return;
            ended = true;
            try {
                caller.onNext(AgentFrame.newBuilder().setError(Error.newBuilder().setStatus(status).setMessage(message)).build());
                caller.onCompleted();
            } catch (RuntimeException e) {
                // the caller went away meanwhile
            }
        }

        @Override
        public synchronized void broken(String why) {
            if (ended) return;
            ended = true;
            try {
                caller.onError(Status.UNAVAILABLE.withDescription(why).asRuntimeException());
            } catch (RuntimeException e) {
                // the caller went away meanwhile
            }
        }
    }
}
