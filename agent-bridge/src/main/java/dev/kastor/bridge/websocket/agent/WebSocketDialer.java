package dev.kastor.bridge.websocket.agent;

import dev.kastor.bridge.observability.Causes;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.bridge.websocket.WebSocketDefaults;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import javax.net.ssl.SSLContext;

/**
 * The agent's end of the WebSocket transport. The gRPC channel dials a listener on 127.0.0.1 inside this process;
 * every TCP connection accepted there opens one WebSocket to KAS ({@code ws://} or {@code wss://}) and the bytes
 * (plaintext HTTP/2: TLS, when wanted, is the WebSocket's) flow both ways as binary messages. Backpressure holds
 * on both sides: a socket read waits until the previous message is sent, and the next message is requested only
 * once the previous one is written to the socket.
 *
 * <p>The loopback listener carries no credentials: the agent token travels inside the gRPC stream (the channel's
 * interceptor adds it), so another local process that connects here only reaches KAS's agent port, unauthenticated,
 * as it could directly. It binds 127.0.0.1 only, on a port picked by the system.
 */
public final class WebSocketDialer implements AutoCloseable {
    private final URI kas;
    private final HttpClient http;
    private final ServerSocket listener;
    private final JsonLog log;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final Set<WebSocket> sockets = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService pinger = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("websocket-ping").daemon().factory());
    private volatile boolean closed;

    private WebSocketDialer(URI kas, HttpClient http, ServerSocket listener, JsonLog log) {
        this.kas = kas;
        this.http = http;
        this.listener = listener;
        this.log = log;
    }

    /** Starts the loopback listener for {@code kas} ({@code ws://…} or {@code wss://…}; {@code caFile} is the CA to trust for wss). */
    public static WebSocketDialer start(URI kas, File caFile, JsonLog log) throws IOException {
        var b = HttpClient.newBuilder().connectTimeout(WebSocketDefaults.HANDSHAKE_TIMEOUT)
                // Listener callbacks write to a blocking socket: virtual threads make that cheap.
                .executor(Executors.newVirtualThreadPerTaskExecutor());
        if ("wss".equals(kas.getScheme()) && caFile != null) b.sslContext(trusting(caFile));
        var listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        var dialer = new WebSocketDialer(kas, b.build(), listener, log);
        Thread.ofVirtual().name("websocket-accept").start(dialer::acceptLoop);
        return dialer;
    }

    /** Where the gRPC channel dials. */
    public InetSocketAddress address() {
        return (InetSocketAddress) listener.getLocalSocketAddress();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket s = listener.accept();
                s.setTcpNoDelay(true);
                open.add(s);
                Thread.ofVirtual().name("websocket-pipe").start(() -> pipe(s));
            } catch (IOException e) {
                if (!closed) log.warn("websocket loopback listener failed", Map.of("error", Causes.describe(e)));
                return;
            }
        }
    }

    private void pipe(Socket s) {
        var toSocket = new ToSocket(s);
        WebSocket ws = null;
        try {
            ws = http.newWebSocketBuilder()
                    .subprotocols(WebSocketDefaults.SUBPROTOCOL)
                    .connectTimeout(WebSocketDefaults.HANDSHAKE_TIMEOUT)
                    .buildAsync(kas, toSocket)
                    .get(WebSocketDefaults.HANDSHAKE_TIMEOUT.toMillis() * 2, TimeUnit.MILLISECONDS);
            sockets.add(ws);
            WebSocket open = ws;
            var pings = pinger.scheduleWithFixedDelay(() -> toSocket.ping(open), WebSocketDefaults.PING_INTERVAL.toMillis(),
                    WebSocketDefaults.PING_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
            toSocket.closed.whenComplete((v, e) -> pings.cancel(false));
            InputStream in = s.getInputStream();
            byte[] buf = new byte[WebSocketDefaults.CHUNK];
            int n;
            while ((n = in.read(buf)) >= 0) {
                if (n == 0) continue;
                ByteBuffer msg = ByteBuffer.allocate(n).put(buf, 0, n).flip();
                ws.sendBinary(msg, true).get();
            }
            // gRPC closed the connection: say goodbye, give KAS a moment to answer, then drop it.
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "").get(WebSocketDefaults.CLOSE_GRACE.toMillis(), TimeUnit.MILLISECONDS);
            toSocket.closed.get(WebSocketDefaults.CLOSE_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (!closed && ws == null) {
                log.warn("cannot open the WebSocket to KAS", Map.of("kas", kas.toString(), "error", Causes.describe(e)));
            }
        } catch (TimeoutException e) {
            if (ws == null) log.warn("WebSocket handshake with KAS timed out", Map.of("kas", kas.toString()));
        } catch (IOException e) {
            // the socket closed under us (KAS went away and ToSocket closed it, or the agent is stopping)
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (ws != null) {
                ws.abort();
                sockets.remove(ws);
            }
            open.remove(s);
            closeQuietly(s);
        }
    }

    /** KAS -> loopback socket: one message at a time, the next requested once this one is written. */
    private final class ToSocket implements WebSocket.Listener {
        private final Socket socket;
        private final OutputStream out;
        final CompletableFuture<Void> closed = new CompletableFuture<>();
        private volatile long lastPong = System.nanoTime();

        ToSocket(Socket socket) {
            this.socket = socket;
            OutputStream o;
            try {
                o = socket.getOutputStream();
            } catch (IOException e) {
                o = OutputStream.nullOutputStream();
                closeQuietly(socket);
            }
            this.out = o;
        }

        @Override
        public void onOpen(WebSocket ws) {
            ws.request(1);
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            try {
                if (data.hasArray()) {
                    out.write(data.array(), data.arrayOffset() + data.position(), data.remaining());
                } else {
                    byte[] copy = new byte[data.remaining()];
                    data.get(copy);
                    out.write(copy);
                }
                out.flush();
                ws.request(1);
            } catch (IOException e) {
                ws.abort();
                closeQuietly(socket);
            }
            return null;
        }

        /** Pings KAS; gives the WebSocket up when a send fails or KAS stopped answering. */
        void ping(WebSocket ws) {
            if (System.nanoTime() - lastPong > WebSocketDefaults.PONG_TIMEOUT.toNanos()) {
                log.warn("KAS stopped answering pings on the WebSocket, reconnecting", Map.of("kas", kas.toString()));
                dead(ws);
                return;
            }
            try {
                ws.sendPing(ByteBuffer.allocate(0)).whenComplete((w, e) -> {
                    if (e != null) dead(ws);
                });
            } catch (IllegalStateException previousPingPending) {
                // the last ping is still being sent: the pong deadline covers it
            }
        }

        private void dead(WebSocket ws) {
            ws.abort();
            closed.complete(null);
            closeQuietly(socket);
        }

        @Override
        public CompletionStage<?> onPong(WebSocket ws, ByteBuffer message) {
            lastPong = System.nanoTime();
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            // The transport is binary only; text means the other end is not KAS's WebSocket listener.
            ws.abort();
            closeQuietly(socket);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
            closed.complete(null);
            closeQuietly(socket);
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            closed.complete(null);
            closeQuietly(socket);
        }
    }

    /** The CAs of {@code caFile} only, as {@code --ca-file} does for grpcs:// (Netty reads the PEM, as for KAS's listeners). */
    private static SSLContext trusting(File caFile) throws IOException {
        try {
            var netty = SslContextBuilder.forClient().trustManager(caFile).sslProvider(SslProvider.JDK).build();
            return ((JdkSslContext) netty).context();
        } catch (IOException | IllegalArgumentException e) {
            throw new IOException("cannot use --ca-file " + caFile + " as a CA for wss://: " + Causes.describe(e), e);
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() {
        closed = true;
        pinger.shutdownNow();
        closeQuietly(listener);
        sockets.forEach(WebSocket::abort);
        open.forEach(WebSocketDialer::closeQuietly);
    }

    private static void closeQuietly(ServerSocket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }
}
