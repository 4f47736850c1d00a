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
import java.util.concurrent.atomic.AtomicBoolean;

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
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "tunnel-close-wait");
        t.setDaemon(true);
        return t;
    });

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
    private volatile ClientCallStreamObserver<AgentFrame> toKas;
    private volatile boolean started;
    private volatile boolean ended;
    private volatile boolean completed;
    private volatile boolean handlerDone;
    /** When a write started waiting for KAS to take frames (0: none waits); the pool's tick gives up a stalled stream. */
    private volatile long waitingSince;
    private volatile boolean stalled;
    private final AtomicBoolean released = new AtomicBoolean();
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

    boolean busy() {
        return started;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<AgentFrame> stream) {
        this.toKas = stream;
        stream.disableAutoRequestWithInitial(1);
        stream.setOnReadyHandler(() -> {
            synchronized (readyLock) {
                readyLock.notifyAll();
            }
        });
    }

    void hello() {
        synchronized (this) {
            toKas.onNext(AgentFrame.newBuilder().setHello(AgentHello.newBuilder().setAgentVersion(version)).build());
        }
    }

    /** Gives the stream up when a write has waited longer than the send-stall limit for KAS (which froze, or lost its client unnoticed). */
    void cancelIfStalled(long now) {
        long since = waitingSince;
        if (since != 0 && now - since > sendStall.toNanos()) {
            stalled = true;
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
                if (started) return;
                started = true;
                events.busy(this); // before the request starts, whose end releases the stream
                RequestInfo info = frame.getRequestInfo();
                Thread.ofVirtual().name("tunnel-request").start(() -> serve(info));
            }
            case MESSAGE -> {
                if (handlerDone) {
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
            if (!ended) error(502, "agent failed to serve the request: " + Causes.describe(e));
        } finally {
            // Frames the handler never read (a GET's close-send) would hold back the end of the call: let them in.
            handlerDone = true;
            inbound.clear();
            if (!ended) toKas.request(16);
            release(null);
            // KAS ends the call after the trailer; if that close never arrives, do not keep the call forever.
            if (!ended) {
                TIMER.schedule(() -> {
                    if (!ended) toKas.cancel("KAS did not close the finished tunnel stream", null);
                }, CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            }
        }
    }

    @Override
    public void onError(Throwable t) {
        end(t);
    }

    @Override
    public void onCompleted() {
        end(null);
    }

    private void end(Throwable t) {
        if (ended) return;
        ended = true;
        inbound.add(EOF);
        synchronized (readyLock) {
            readyLock.notifyAll();
        }
        release(t);
        // Hooks close sockets (a TLS close may block on a peer that stopped reading): never on the transport thread.
        if (!completed) Thread.ofVirtual().name("tunnel-cancel").start(() -> cancelHooks.forEach(Runnable::run));
    }

    /** Tells the pool once that this stream is no longer idle or busy. */
    private void release(Throwable t) {
        if (released.compareAndSet(false, true)) events.ended(this, t);
    }

    @Override
    public void onCancel(Runnable r) {
        cancelHooks.add(r);
        if (ended && !completed) r.run();
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

    @Override
    public void error(int status, String message) {
        try {
            sendLast(AgentFrame.newBuilder().setError(Error.newBuilder().setStatus(status).setMessage(message)).build());
        } catch (IOException ignored) {
            // KAS is gone; nothing to tell
        }
    }

    @Override
    public boolean cancelled() {
        return ended;
    }

    /** The frame that ends the answer (trailer, whole response or error); then the agent's side of the stream ends. */
    private void sendLast(AgentFrame frame) throws IOException {
        completed = true;
        send(frame);
        synchronized (this) {
            if (!ended) toKas.onCompleted();
        }
    }

    private void send(AgentFrame frame) throws IOException {
        synchronized (readyLock) {
            // An untimed wait: a timed one costs the virtual-thread timer a wake-up per frame of a large answer.
            if (!toKas.isReady() && !ended) waitingSince = Math.max(1, System.nanoTime());
            try {
                while (!toKas.isReady() && !ended) readyLock.wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException();
            } finally {
                waitingSince = 0;
            }
        }
        if (stalled) throw new IOException("the tunnel stream to KAS stalled for " + sendStall.toSeconds() + " s");
        if (ended) throw new IOException("the tunnel stream to KAS closed");
        synchronized (this) {
            toKas.onNext(frame);
        }
    }
}
