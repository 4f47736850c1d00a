package dev.kastor.bridge.kubeapi.agent;

import dev.kastor.bridge.observability.Causes;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * The agent's connections to the API server: which one a request goes on (a kept-alive one from the pool when that is
 * safe, else a new one), whether a failed request may go again, and which go back to the pool. The HTTP on them is
 * {@link Http1Codec}'s.
 */
final class ApiServerConnections {
    private static final int MAX_IDLE = 64;
    /** Methods a request may be sent again with when a pooled connection turned out dead (RFC 9110 9.2.2). */
    private static final Set<String> REPEATABLE = Set.of("GET", "HEAD", "OPTIONS", "DELETE");
    /** Pooled connections older than this are closed rather than reused (the API server may have dropped them). */
    private static final Duration MAX_IDLE_TIME = Duration.ofSeconds(60);
    /**
     * A request with a body is sent only on a connection used moments ago: if the API server had closed an older one,
     * the body, already taken from the tunnel, could not be sent again.
     */
    private static final Duration FRESH_FOR_BODY = Duration.ofSeconds(2);
    private static final int CONNECT_TIMEOUT_MILLIS = 10_000;

    private final KubeApiUpstream upstream;
    private final ConcurrentLinkedDeque<Connection> idle = new ConcurrentLinkedDeque<>();

    ApiServerConnections(KubeApiUpstream upstream) {
        this.upstream = upstream;
    }

    /** The connections a request holds; give it to the request's cancel hook so a cancel closes what it holds. */
    Lease lease() {
        return new Lease();
    }

    /**
     * Whether {@code request}, which failed on {@code failed}, may go again on a new connection: only when a pooled
     * connection turned out closed by the API server, and the request has no body (already taken from the tunnel) and
     * is repeatable. A new connection that fails is the API server's answer.
     */
    static boolean mayRetry(RequestHead request, Connection failed) {
        return failed.pooled() && !request.hasBody() && REPEATABLE.contains(request.method());
    }

    /**
     * One request's hold on its connection. Whichever ends first, the request or its tunnel exchange (KAS or the client
     * gone: {@link #close}), takes the connection, so a cancel never closes one already back in the pool.
     */
    final class Lease {
        private final AtomicReference<Connection> held = new AtomicReference<>();

        private Lease() {}

        /**
         * A connection for {@code request}: the most recently used idle one that may carry it, else a new one; an
         * upgrade (which never goes back to the pool) and a {@code retry} always get a new one.
         */
        Connection take(RequestHead request, boolean retry) throws IOException {
            Connection pooled = request.upgrade() || retry ? null : pooled(request.hasBody());
            Connection c = pooled != null ? pooled : open();
            held.set(c);
            return c;
        }

        /**
         * Only a connection whose answer was read to its last byte may carry another request ({@code reusable}); it goes
         * back before the agent tells KAS the answer is complete, so the client's next request finds it in the pool.
         */
        void giveBack(Connection c, boolean reusable) {
            if (!held.compareAndSet(c, null)) return;
            if (reusable && idle.size() < MAX_IDLE) {
                idle.offerFirst(c.idleFromNow());
            } else {
                c.close();
            }
        }

        /** Closes the connection still held, if any: the answer broke off, was an upgrade, or the exchange ended. */
        void close() {
            Connection c = held.getAndSet(null);
            if (c != null) c.close();
        }
    }

    /** The most recently used idle connection that may carry a request, closing those too old for any. */
    private Connection pooled(boolean hasBody) {
        long maxIdle = (hasBody ? FRESH_FOR_BODY : MAX_IDLE_TIME).toNanos();
        Connection c;
        while ((c = idle.pollFirst()) != null) {
            if (c.idleNanos() < maxIdle) return c;
            c.close();
        }
        return null;
    }

    private Connection open() throws IOException {
        URI url = upstream.url();
        boolean tls = "https".equals(url.getScheme());
        int port = url.getPort() > 0 ? url.getPort() : (tls ? 443 : 80);
        Socket socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.connect(new InetSocketAddress(url.getHost(), port), CONNECT_TIMEOUT_MILLIS);
        return Connection.over(tls ? tls(socket, url.getHost(), port) : socket);
    }

    private SSLSocket tls(Socket socket, String host, int port) throws IOException {
        SSLContext context;
        try {
            context = upstream.tls() != null ? upstream.tls() : SSLContext.getDefault();
        } catch (NoSuchAlgorithmException e) {
            socket.close();
            throw new IOException("no TLS available: " + Causes.describe(e), e);
        }
        var ssl = (SSLSocket) context.getSocketFactory().createSocket(socket, host, port, true);
        SSLParameters params = ssl.getSSLParameters();
        params.setEndpointIdentificationAlgorithm("HTTPS");
        params.setApplicationProtocols(new String[] {"http/1.1"});
        ssl.setSSLParameters(params);
        ssl.startHandshake();
        return ssl;
    }
}
