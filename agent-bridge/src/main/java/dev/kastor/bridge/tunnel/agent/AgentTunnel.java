package dev.kastor.bridge.tunnel.agent;

import com.google.protobuf.ByteString;
import dev.kastor.bridge.observability.Causes;
import dev.kastor.bridge.tunnel.rpc.AgentFrame;
import dev.kastor.bridge.tunnel.rpc.AgentHello;
import dev.kastor.bridge.tunnel.rpc.Error;
import dev.kastor.bridge.tunnel.rpc.Header;
import dev.kastor.bridge.tunnel.rpc.KasFrame;
import dev.kastor.bridge.tunnel.rpc.Message;
import dev.kastor.bridge.tunnel.rpc.RequestInfo;
import dev.kastor.bridge.tunnel.rpc.Response;
import dev.kastor.bridge.tunnel.rpc.Trailer;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The agent's end of one tunnel stream: idle until KAS sends a request, then serves it on a virtual thread.
 * Inbound frames are requested one at a time (the handler's reads pull them), outbound writes wait for the
 * transport to be ready, so neither side buffers a body.
 */
final class AgentTunnel implements ClientResponseObserver<AgentFrame, KasFrame>, TunnelExchange {
    private static final ByteString EOF = ByteString.copyFromUtf8("<eof>");
    /** How long a finished stream waits for KAS to end the call before the agent cancels it itself. */
    static final Duration CLOSE_WAIT = Duration.ofSeconds(30);
    /** One timer for all streams: a parked thread per finished request would cost a thread for CLOSE_WAIT each. */
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("tunnel-close-wait").daemon().factory());

    /**
     * Where the stream is in its one use. Every rule of its life is one check of this field, which only
     * {@link #advance} changes: one request per stream ({@code SERVING} follows only {@code IDLE}), the answer ends
     * once ({@code ANSWERED} follows only {@code SERVING}), nothing is sent after it or after the call ended, the cancel
     * hooks run only when the call ends while the handler is still answering, the pool hears once that the stream left it.
     */
    private enum Phase {
        /** Open, waiting for KAS to hand over a request. */
        IDLE,
        /** The handler serves the request; its answer is not complete. */
        SERVING,
        /** The answer's last frame (trailer, whole response or error) is sent or being sent: no frame may follow it. */
        ANSWERED,
        /** The handler has returned; the stream waits for KAS to end the call. */
        DONE,
        /** The call ended while no answer was in flight: the stream was idle, or its answer was complete. */
        CLOSED,
        /** The call ended while the handler was answering (KAS or its client went away). */
        CANCELLED,
        /** Given up by the agent: a write waited for KAS longer than the send-stall limit. */
        STALLED;

        /** Whether the stream may move from {@code from} to this phase. */
        boolean follows(Phase from) {
            return switch (this) {
                case IDLE -> false;
                case SERVING -> from == IDLE; // one request per stream
                case ANSWERED, CANCELLED -> from == SERVING; // the answer ends once; only a handler at work is cut off
                case DONE, STALLED -> from == SERVING || from == ANSWERED; // the handler returns, or waits on a write
                case CLOSED -> from == IDLE || from == ANSWERED || from == DONE; // no answer in flight
            };
        }

        /** The call is over: nothing more goes to KAS. */
        boolean over() {
            return this == CLOSED || this == CANCELLED || this == STALLED;
        }

        /** The call ended under a handler still answering: its cancel hooks run to unblock it. */
        boolean cutsTheHandlerOff() {
            return this == CANCELLED || this == STALLED;
        }

        /** The pool counts the stream as idle or busy. */
        boolean inThePool() {
            return this == IDLE || this == SERVING || this == ANSWERED;
        }
    }

    interface Events {
        void busy(AgentTunnel t);

        void ended(AgentTunnel t, Throwable error);
    }

    private final String version;
    private final RequestHandler handler;
    private final Events events;
    /** How long a write may wait for KAS to take frames before the stream is given up ({@code TunnelDefaults.SEND_STALL}). */
    private final Duration sendStall;
    private final long openedAt = System.nanoTime();
    private final LinkedBlockingQueue<ByteString> inbound = new LinkedBlockingQueue<>();
    private final Object readyLock = new Object();
    private final AtomicReference<Phase> phase = new AtomicReference<>(Phase.IDLE);
    private volatile ClientCallStreamObserver<AgentFrame> toKas;
    /** When a write started waiting for KAS to take frames (0: none waits); the pool's tick gives up a stalled stream. */
    private volatile long waitingSince;
    private final List<Runnable> cancelHooks = new CopyOnWriteArrayList<>();

    AgentTunnel(String version, RequestHandler handler, Events events, Duration sendStall) {
        this.version = version;
        this.handler = handler;
        this.events = events;
        this.sendStall = sendStall;
    }

    long openedAt() {
        return openedAt;
    }

    /**
     * The one way the phase changes: to {@code to} when it may follow the current phase (atomically, whoever else tries).
     * Returns the phase left, or null when the move is not allowed and nothing changed.
     */
    private Phase advance(Phase to) {
        while (true) {
            Phase from = phase.get();
            if (!to.follows(from)) return null;
            if (phase.compareAndSet(from, to)) return from;
        }
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<AgentFrame> stream) {
        this.toKas = stream;
        stream.disableAutoRequestWithInitial(1);
        stream.setOnReadyHandler(this::wakeWriters);
    }

    void hello() {
        synchronized (this) {
            toKas.onNext(AgentFrame.newBuilder().setHello(AgentHello.newBuilder().setAgentVersion(version)).build());
        }
    }

    /** Gives the stream up when a write has waited longer than the send-stall limit for KAS (which froze, or lost its client unnoticed). */
    void cancelIfStalled(long now) {
        long since = waitingSince;
        if (since != 0 && now - since > sendStall.toNanos() && end(Phase.STALLED, null)) {
            toKas.cancel("KAS took no frame for " + sendStall.toSeconds() + " s", null);
        }
    }

    /** Closes an idle stream (expired, or the agent is stopping). */
    void cancel(String why) {
        toKas.cancel(why, null);
    }

    @Override
    public void onNext(KasFrame frame) {
        switch (frame.getFrameCase()) {
            case REQUEST_INFO -> {
                if (advance(Phase.SERVING) == null) return;
                events.busy(this); // before the request starts, whose end releases the stream
                RequestInfo info = frame.getRequestInfo();
                Thread.ofVirtual().name("tunnel-request").start(() -> serve(info));
            }
            case MESSAGE -> {
                if (phase.get() == Phase.DONE) {
                    toKas.request(1); // the handler is gone: drop what the client still sends
                } else {
                    inbound.add(frame.getMessage().getData());
                }
            }
            case CLOSE_SEND -> inbound.add(EOF);
            default -> toKas.request(1);
        }
    }

    private void serve(RequestInfo info) {
        try {
            handler.handle(info, this);
        } catch (Exception e) {
            error(502, "agent failed to serve the request: " + Causes.describe(e));
        } finally {
            Phase from = advance(Phase.DONE);
            inbound.clear();
            if (from != null) handlerReturned();
        }
    }

    private void handlerReturned() {
        // Frames the handler never read (a GET's close-send) would hold back the end of the call: let them in.
        toKas.request(16);
        events.ended(this, null);
        // KAS ends the call after the trailer; if that close never arrives, do not keep the call forever.
        TIMER.schedule(() -> {
            if (!phase.get().over()) toKas.cancel("KAS did not close the finished tunnel stream", null);
        }, CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void onError(Throwable t) {
        kasEnded(t);
    }

    @Override
    public void onCompleted() {
        kasEnded(null);
    }

    private void kasEnded(Throwable t) {
        if (!end(Phase.CANCELLED, t)) end(Phase.CLOSED, t);
    }

    /**
     * Ends the call for this stream, once (false when it was over already or {@code ended} may not follow the phase):
     * unblocks the handler's reads and writes, tells the pool, and runs the cancel hooks when the handler is cut off.
     */
    private boolean end(Phase ended, Throwable t) {
        Phase from = advance(ended);
        if (from == null) return false;
        inbound.add(EOF);
        wakeWriters();
        if (from.inThePool()) events.ended(this, t);
        // Hooks close sockets (a TLS close may block on a peer that stopped reading): never on the transport thread.
        if (ended.cutsTheHandlerOff()) Thread.ofVirtual().name("tunnel-cancel").start(() -> cancelHooks.forEach(Runnable::run));
        return true;
    }

    private void wakeWriters() {
        synchronized (readyLock) {
            readyLock.notifyAll();
        }
    }

    @Override
    public void onCancel(Runnable r) {
        cancelHooks.add(r);
        if (phase.get().cutsTheHandlerOff()) r.run();
    }

    @Override
    public InputStream requestBody() {
        return new InputStream() {
            private ByteString current = ByteString.EMPTY;
            private int pos;
            private boolean eof;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                int n = read(one, 0, 1);
                return n < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) return 0;
                while (pos >= current.size()) {
                    if (eof) return -1;
                    toKas.request(1);
                    try {
                        ByteString next = inbound.take();
                        if (next == EOF) {
                            eof = true;
                            return -1;
                        }
                        current = next;
                        pos = 0;
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedIOException();
                    }
                }
                int n = Math.min(len, current.size() - pos);
                current.copyTo(b, pos, off, n);
                pos += n;
                return n;
            }
        };
    }

    @Override
    public void header(Header header) throws IOException {
        send(AgentFrame.newBuilder().setHeader(header).build());
    }

    @Override
    public void write(byte[] data, int off, int len) throws IOException {
        send(AgentFrame.newBuilder().setMessage(Message.newBuilder().setData(ByteString.copyFrom(data, off, len))).build());
    }

    @Override
    public void respond(Header header, byte[] body, int len) throws IOException {
        sendLast(AgentFrame.newBuilder().setResponse(Response.newBuilder().setHeader(header).setBody(ByteString.copyFrom(body, 0, len))).build());
    }

    @Override
    public void trailer() throws IOException {
        sendLast(AgentFrame.newBuilder().setTrailer(Trailer.getDefaultInstance()).build());
    }

    /** Only while the answer is not complete: a handler failing after its answer has nothing left to tell. */
    @Override
    public void error(int status, String message) {
        try {
            sendLast(AgentFrame.newBuilder().setError(Error.newBuilder().setStatus(status).setMessage(message)).build());
        } catch (IOException ignored) {
            // KAS is gone, or the answer was complete: nothing to tell
        }
    }

    @Override
    public boolean cancelled() {
        return phase.get().over();
    }

    /** A frame of the answer, which must not be complete yet. */
    private void send(AgentFrame frame) throws IOException {
        if (phase.get() != Phase.SERVING) throw refused();
        transmit(frame);
    }

    /** The frame that ends the answer (trailer, whole response or error), once; then the agent's side of the call ends. */
    private void sendLast(AgentFrame frame) throws IOException {
        if (advance(Phase.ANSWERED) == null) throw refused();
        transmit(frame);
        synchronized (this) {
            if (!phase.get().over()) toKas.onCompleted();
        }
    }

    private void transmit(AgentFrame frame) throws IOException {
        synchronized (readyLock) {
            // An untimed wait: a timed one costs the virtual-thread timer a wake-up per frame of a large answer.
            if (!toKas.isReady() && !phase.get().over()) waitingSince = Math.max(1, System.nanoTime());
            try {
                while (!toKas.isReady() && !phase.get().over()) readyLock.wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException();
            } finally {
                waitingSince = 0;
            }
        }
        if (phase.get().over()) throw refused();
        synchronized (this) {
            toKas.onNext(frame);
        }
    }

    /** Why no frame may go now. */
    private IOException refused() {
        return switch (phase.get()) {
            case STALLED -> new IOException("the tunnel stream to KAS stalled for " + sendStall.toSeconds() + " s");
            case CLOSED, CANCELLED -> new IOException("the tunnel stream to KAS closed");
            default -> new IOException("the answer is complete: no frame may follow it");
        };
    }
}
