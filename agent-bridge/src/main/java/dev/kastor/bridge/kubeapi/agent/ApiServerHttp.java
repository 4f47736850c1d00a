package dev.kastor.bridge.kubeapi.agent;

import dev.kastor.bridge.kubeapi.HttpRules;
import dev.kastor.bridge.kubeapi.KubeApiDefaults;
import dev.kastor.bridge.observability.Causes;
import dev.kastor.bridge.tunnel.TunnelDefaults;
import dev.kastor.bridge.tunnel.agent.TunnelExchange;
import dev.kastor.bridge.tunnel.rpc.Header;
import dev.kastor.bridge.tunnel.rpc.RequestInfo;
import dev.kastor.bridge.tunnel.rpc.Values;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * HTTP/1.1 to the API server on plain (or TLS) sockets, for every proxied request. Each request runs on its own
 * virtual thread, so blocking socket I/O costs no platform thread, and the bytes go from the socket straight into
 * tunnel messages: no client library's selector and executor threads in between (with the JDK HttpClient those hops
 * were most of the agent's share of a request's latency). Keep-alive connections are pooled.
 *
 * <p>An upgrade (WebSocket watches, {@code kubectl exec/attach/port-forward}, SPDY) uses a connection of its own:
 * after {@code 101 Switching Protocols} the tunnel stream is two raw byte streams, client bytes to the socket and
 * socket bytes to the client, each ending on its own.
 */
final class ApiServerHttp {
    /** Besides what ends at a hop ({@link HttpRules}): set here from the request's own framing, or by the agent. */
    private static final Set<String> SET_BY_THE_AGENT = Set.of("host", "authorization", "content-length", "expect");
    private static final int MAX_IDLE = 64;
    /** Methods a request may be sent again with when a pooled connection turned out dead (RFC 9110 9.2.2). */
    private static final Set<String> REPEATABLE = Set.of("GET", "HEAD", "OPTIONS", "DELETE");
    /** Pooled connections older than this are closed rather than reused (the API server may have dropped them). */
    private static final long MAX_IDLE_NANOS = Duration.ofSeconds(60).toNanos();
    /**
     * A request with a body is sent only on a connection used moments ago: if the API server had closed an older one,
     * the body, already taken from the tunnel, could not be sent again.
     */
    private static final long FRESH_FOR_BODY_NANOS = Duration.ofSeconds(2).toNanos();

    private record Connection(Socket socket, InputStream in, OutputStream out, long idleSince) {
        Connection idleFromNow() {
            return new Connection(socket, in, out, System.nanoTime());
        }
    }

    private record Head(int status, String reason, Map<String, List<String>> headers, boolean http10) {
        List<String> all(String name) {
            var values = new ArrayList<String>();
            headers.forEach((k, v) -> {
                if (k.equalsIgnoreCase(name)) values.addAll(v);
            });
            return values;
        }
    }

    private final KubeApiUpstream upstream;
    private final ConcurrentLinkedDeque<Connection> idle = new ConcurrentLinkedDeque<>();

    ApiServerHttp(KubeApiUpstream upstream) {
        this.upstream = upstream;
    }

    void forward(RequestInfo info, TunnelExchange exchange) throws IOException {
        boolean upgrade = KubeApiForwarder.isUpgrade(info);
        long length = contentLength(info);
        boolean chunkedBody = length < 0 && info.getHeadersMap().entrySet().stream()
                .anyMatch(e -> e.getKey().equalsIgnoreCase("transfer-encoding"));
        boolean hasBody = !upgrade && (length > 0 || chunkedBody);
        // Whichever ends first, the exchange (KAS or its client gone) or this request, takes the connection.
        var inUse = new AtomicReference<Connection>();
        exchange.onCancel(() -> {
            Connection c = inUse.getAndSet(null);
            if (c != null) close(c);
        });

        byte[] requestHead;
        try {
            requestHead = requestHead(info, upgrade, length, chunkedBody).getBytes(StandardCharsets.ISO_8859_1);
        } catch (RuntimeException e) {
            // the agent's own credentials (its token file) cannot be read: before any connection is taken
            exchange.error(502, "the agent cannot make the request to the Kubernetes API server: " + Causes.describe(e));
            return;
        }
        Connection c;
        Head head;
        for (int attempt = 0; ; attempt++) {
            Connection pooled = upgrade || attempt > 0 ? null : pooled(hasBody);
            try {
                c = pooled != null ? pooled : connect();
            } catch (IOException e) {
                exchange.error(502, "the agent cannot reach the Kubernetes API server " + upstream.url() + ": " + Causes.describe(e));
                return;
            }
            inUse.set(c);
            try {
                c.out().write(requestHead);
                if (hasBody && length > 0) copyBody(exchange.requestBody(), c.out(), length);
                if (hasBody && chunkedBody) copyChunkedBody(exchange.requestBody(), c.out());
                c.out().flush();
                head = readFinalHead(c);
                break;
            } catch (SocketTimeoutException e) {
                // A hung API server: the connection is closed, never pooled (a late answer would be read as the next one's).
                close(c);
                inUse.set(null);
                if (exchange.cancelled()) return;
                exchange.error(504, "the Kubernetes API server " + upstream.url() + " sent no answer within "
                        + upstream.responseHeadTimeout().toSeconds() + " s");
                return;
            } catch (IOException e) {
                close(c);
                inUse.set(null);
                // A pooled connection the API server had already closed: try once more on a new one, when the
                // request has no body that was already read from the tunnel.
                if (pooled != null && !hasBody && REPEATABLE.contains(info.getMethod()) && attempt == 0 && !exchange.cancelled()) continue;
                if (exchange.cancelled()) return;
                exchange.error(502, "the Kubernetes API server " + upstream.url() + " did not answer: " + Causes.describe(e));
                return;
            }
        }

        boolean reusable = !upgrade && !head.http10() && head.all("connection").stream().noneMatch(v -> v.toLowerCase(Locale.ROOT).contains("close"));
        try {
            var h = Header.newBuilder().setStatus(head.status()).setReason(head.reason());
            boolean chunked = false;
            long responseLength = -1;
            for (var e : head.headers().entrySet()) {
                String lower = e.getKey().toLowerCase(Locale.ROOT);
                if (lower.equals("transfer-encoding")) {
                    chunked = e.getValue().stream().anyMatch(v -> v.toLowerCase(Locale.ROOT).contains("chunked"));
                    continue;
                }
                if (lower.equals("content-length")) responseLength = Long.parseLong(e.getValue().getFirst().trim());
                if (!upgrade && (lower.equals("connection") || lower.equals("keep-alive"))) continue;
                h.putHeaders(e.getKey(), Values.newBuilder().addAllValue(e.getValue()).build());
            }
            boolean noBody = info.getMethod().equals("HEAD") || head.status() == 204 || head.status() == 304;
            if (info.getAcceptsResponse() && head.status() != 101 && (noBody || !chunked && responseLength >= 0 && responseLength <= TunnelDefaults.CHUNK)) {
                // A small answer of known length (most single objects): one frame through the tunnel instead of three.
                byte[] body = new byte[noBody ? 0 : (int) responseLength];
                int got = c.in().readNBytes(body, 0, body.length);
                if (got < body.length) throw new IOException("the API server closed the connection " + (body.length - got) + " bytes before the end of its answer");
                giveBack(inUse, c, reusable);
                exchange.respond(h.build(), body, body.length);
                return;
            }
            exchange.header(h.build());
            if (head.status() == 101) {
                Socket socket = c.socket();
                Thread up = Thread.ofVirtual().name("upgrade-client-to-api").start(() -> pumpClientToUpstream(exchange, socket));
                copy(c.in(), exchange, Long.MAX_VALUE);
                exchange.trailer();
                up.interrupt();
                return;
            }
            if (chunked) {
                copyChunked(c.in(), exchange);
            } else if (responseLength >= 0) {
                copy(c.in(), exchange, responseLength);
            } else {
                reusable = false;
                copy(c.in(), exchange, Long.MAX_VALUE);
            }
            giveBack(inUse, c, reusable);
            exchange.trailer();
        } finally {
            // Not given back: the answer broke off (or was an upgrade), so the connection cannot carry another request.
            if (inUse.compareAndSet(c, null)) close(c);
        }
    }

    /**
     * Only a connection whose answer was read to its last byte may carry another request. It goes back before the
     * agent tells KAS the answer is complete, so the client's next request finds it in the pool.
     */
    private void giveBack(AtomicReference<Connection> inUse, Connection c, boolean reusable) {
        if (!inUse.compareAndSet(c, null)) return;
        if (reusable && idle.size() < MAX_IDLE) {
            idle.offerFirst(c.idleFromNow());
        } else {
            close(c);
        }
    }

    /** The most recently used idle connection that may carry this request, closing those too old for any. */
    private Connection pooled(boolean hasBody) {
        Connection c;
        while ((c = idle.pollFirst()) != null) {
            long idleFor = System.nanoTime() - c.idleSince();
            if (idleFor < (hasBody ? FRESH_FOR_BODY_NANOS : MAX_IDLE_NANOS)) return c;
            close(c);
        }
        return null;
    }

    private Connection connect() throws IOException {
        String host = upstream.url().getHost();
        boolean tls = "https".equals(upstream.url().getScheme());
        int port = upstream.url().getPort() > 0 ? upstream.url().getPort() : (tls ? 443 : 80);
        Socket socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.connect(new InetSocketAddress(host, port), 10_000);
        if (tls) {
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
            socket = ssl;
        }
        return new Connection(socket, new BufferedInputStream(socket.getInputStream(), TunnelDefaults.CHUNK),
                new BufferedOutputStream(socket.getOutputStream(), 16 * 1024), System.nanoTime());
    }

    private String requestHead(RequestInfo info, boolean upgrade, long length, boolean chunked) {
        var sb = new StringBuilder();
        String base = KubeApiForwarder.stripSlash(upstream.url().getRawPath() == null ? "" : upstream.url().getRawPath());
        sb.append(info.getMethod()).append(' ').append(base).append(info.getPath());
        if (!info.getQuery().isEmpty()) sb.append('?').append(info.getQuery());
        sb.append(" HTTP/1.1\r\n");
        int port = upstream.url().getPort();
        sb.append("Host: ").append(upstream.url().getHost()).append(port > 0 ? ":" + port : "").append("\r\n");
        var options = HttpRules.connectionOptions(KubeApiForwarder.values(info, "connection"));
        info.getHeadersMap().forEach((name, values) -> {
            String lower = name.toLowerCase(Locale.ROOT);
            // Only the impersonation KAS decided goes out: this request carries the agent's token, and a client's own
            // Impersonate-* header (which KAS refuses, but the agent does not rely on that) would be obeyed.
            if (HttpRules.endsAtHop(lower, options, upgrade) || SET_BY_THE_AGENT.contains(lower) || lower.startsWith("impersonate-")) return;
            for (String v : values.getValueList()) sb.append(name).append(": ").append(v).append("\r\n");
        });
        KubeApiForwarder.impersonationHeaders(info.getImpersonation())
                .forEach((k, vs) -> vs.forEach(v -> sb.append(k).append(": ").append(v).append("\r\n")));
        String token = upstream.bearerToken() == null ? null : upstream.bearerToken().get();
        if (token != null && !token.isEmpty()) sb.append("Authorization: Bearer ").append(token).append("\r\n");
        if (length >= 0 && !upgrade) sb.append("Content-Length: ").append(length).append("\r\n");
        if (chunked) sb.append("Transfer-Encoding: chunked\r\n");
        sb.append("\r\n");
        return sb.toString();
    }

    /**
     * The response head, after any interim 1xx answers (but a 101, which ends HTTP on this connection), within
     * {@link KubeApiUpstream#responseHeadTimeout()} (see {@link KubeApiDefaults#RESPONSE_HEAD_TIMEOUT} for why one bound
     * serves watches too): {@link SocketTimeoutException} when the API server stays silent. The body is not bounded.
     */
    private Head readFinalHead(Connection c) throws IOException {
        long deadline = System.nanoTime() + upstream.responseHeadTimeout().toNanos();
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) throw new SocketTimeoutException("no response head");
                // A silent server is what this guards against: each read waits at most what is left of the bound (a
                // server trickling a byte at a time could stretch it, a hung one cannot).
                c.socket().setSoTimeout((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                Head head = readHead(c.in());
                if (head.status() >= 200 || head.status() == 101) return head;
            }
        } finally {
            if (!c.socket().isClosed()) c.socket().setSoTimeout(0);
        }
    }

    private static Head readHead(InputStream in) throws IOException {
        String statusLine = line(in);
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/")) throw new IOException("not an HTTP response from the API server: " + statusLine);
        var headers = new LinkedHashMap<String, List<String>>();
        String l;
        while (!(l = line(in)).isEmpty()) {
            int colon = l.indexOf(':');
            if (colon <= 0) continue;
            headers.computeIfAbsent(l.substring(0, colon).trim(), k -> new ArrayList<>()).add(l.substring(colon + 1).trim());
        }
        return new Head(Integer.parseInt(parts[1]), parts.length > 2 ? parts[2] : "", headers, parts[0].equals("HTTP/1.0"));
    }

    private static String line(InputStream in) throws IOException {
        var b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') break;
            if (c != '\r') b.write(c);
            if (b.size() > 64 * 1024) throw new IOException("response header line longer than 64 KiB");
        }
        if (c < 0 && b.size() == 0) throw new IOException("the API server closed the connection before answering");
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    /** Up to {@code limit} bytes to the tunnel, each message holding what is there, up to a chunk. */
    private static void copy(InputStream in, TunnelExchange exchange, long limit) throws IOException {
        byte[] buf = new byte[TunnelDefaults.CHUNK];
        long left = limit;
        while (left > 0) {
            int n = KubeApiForwarder.fill(in, buf, (int) Math.min(buf.length, left));
            if (n < 0) {
                if (limit != Long.MAX_VALUE) throw new IOException("the API server closed the connection " + left + " bytes before the end of its answer");
                return;
            }
            if (n > 0) exchange.write(buf, 0, n);
            left -= n;
        }
    }

    private static void copyChunked(InputStream in, TunnelExchange exchange) throws IOException {
        while (true) {
            String size = line(in);
            int semi = size.indexOf(';');
            long n = Long.parseLong((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
            if (n == 0) {
                while (!line(in).isEmpty()) {
                    // trailer fields are dropped
                }
                return;
            }
            copy(in, exchange, n);
            line(in);
        }
    }

    private static void copyBody(InputStream client, OutputStream out, long length) throws IOException {
        byte[] buf = new byte[TunnelDefaults.CHUNK];
        long left = length;
        while (left > 0) {
            int n = client.read(buf, 0, (int) Math.min(buf.length, left));
            if (n < 0) throw new IOException("the client sent " + (length - left) + " of the " + length + " bytes it announced");
            out.write(buf, 0, n);
            left -= n;
        }
    }

    private static void copyChunkedBody(InputStream client, OutputStream out) throws IOException {
        byte[] buf = new byte[TunnelDefaults.CHUNK];
        int n;
        while ((n = client.read(buf)) >= 0) {
            if (n == 0) continue;
            out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.write(buf, 0, n);
            out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }
        out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
    }

    private static long contentLength(RequestInfo info) {
        for (Map.Entry<String, Values> e : info.getHeadersMap().entrySet()) {
            if (e.getKey().equalsIgnoreCase("content-length") && e.getValue().getValueCount() > 0) {
                try {
                    return Long.parseLong(e.getValue().getValue(0).trim());
                } catch (NumberFormatException ignored) {
                    return -1;
                }
            }
        }
        return -1;
    }

    private static void pumpClientToUpstream(TunnelExchange exchange, Socket socket) {
        byte[] buf = new byte[TunnelDefaults.CHUNK];
        try (InputStream client = exchange.requestBody()) {
            OutputStream out = socket.getOutputStream();
            int n;
            while ((n = client.read(buf)) >= 0) {
                out.write(buf, 0, n);
                out.flush();
            }
            if (!(socket instanceof SSLSocket)) socket.shutdownOutput();
        } catch (IOException e) {
            closeQuietly(socket);
        }
    }

    private static void close(Connection c) {
        closeQuietly(c.socket());
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }
}
