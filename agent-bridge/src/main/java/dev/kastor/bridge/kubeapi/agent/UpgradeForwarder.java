package dev.kastor.bridge.kubeapi.agent;

import dev.kastor.bridge.tunnel.TunnelDefaults;
import dev.kastor.bridge.tunnel.agent.TunnelExchange;
import dev.kastor.bridge.tunnel.rpc.Header;
import dev.kastor.bridge.tunnel.rpc.RequestInfo;
import dev.kastor.bridge.tunnel.rpc.Values;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * Carries an HTTP upgrade (WebSocket watches, {@code kubectl exec/attach/port-forward}, SPDY) to the API server
 * over its own connection: the JDK HttpClient cannot hand over an upgraded connection, so this speaks HTTP/1.1 on
 * a socket just for the request head and the response head. After {@code 101 Switching Protocols} the tunnel
 * stream is two raw byte streams: client bytes to the socket, socket bytes to the client, each ending on its own.
 */
final class UpgradeForwarder {
    private static final List<String> NOT_FORWARDED = List.of("host", "authorization", "content-length", "transfer-encoding",
            "keep-alive", "proxy-connection", "te", "trailer");

    private final KubeApiUpstream upstream;

    UpgradeForwarder(KubeApiUpstream upstream) {
        this.upstream = upstream;
    }

    void forward(RequestInfo info, TunnelExchange exchange) throws IOException {
        Socket socket;
        try {
            socket = connect();
        } catch (IOException e) {
            exchange.error(502, "the agent cannot reach the Kubernetes API server " + upstream.url() + ": " + e.getMessage());
            return;
        }
        exchange.onCancel(() -> closeQuietly(socket));
        try (socket) {
            OutputStream out = socket.getOutputStream();
            out.write(requestHead(info).getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = new BufferedInputStream(socket.getInputStream(), TunnelDefaults.CHUNK);
            Head head = readHead(in);
            var h = Header.newBuilder().setStatus(head.status()).setReason(head.reason());
            boolean chunked = false;
            long length = -1;
            for (var e : head.headers().entrySet()) {
                String lower = e.getKey().toLowerCase(Locale.ROOT);
                if (lower.equals("transfer-encoding")) {
                    chunked = e.getValue().stream().anyMatch(v -> v.toLowerCase(Locale.ROOT).contains("chunked"));
                    continue;
                }
                if (lower.equals("content-length")) length = Long.parseLong(e.getValue().get(0).trim());
                h.putHeaders(e.getKey(), Values.newBuilder().addAllValue(e.getValue()).build());
            }
            exchange.header(h.build());
            if (head.status() == 101) {
                Thread up = Thread.ofVirtual().name("upgrade-client-to-api").start(() -> pumpClientToUpstream(exchange, socket));
                copy(in, exchange, Long.MAX_VALUE);
                exchange.trailer();
                up.interrupt();
                return;
            }
            if (chunked) {
                copyChunked(in, exchange);
            } else {
                copy(in, exchange, length < 0 ? Long.MAX_VALUE : length);
            }
            exchange.trailer();
        }
    }

    private Socket connect() throws IOException {
        String host = upstream.url().getHost();
        boolean tls = "https".equals(upstream.url().getScheme());
        int port = upstream.url().getPort() > 0 ? upstream.url().getPort() : (tls ? 443 : 80);
        Socket plain = new Socket();
        plain.setTcpNoDelay(true);
        plain.connect(new InetSocketAddress(host, port), 10_000);
        if (!tls) return plain;
        var ssl = (SSLSocket) upstream.tls().getSocketFactory().createSocket(plain, host, port, true);
        SSLParameters params = ssl.getSSLParameters();
        params.setEndpointIdentificationAlgorithm("HTTPS");
        params.setApplicationProtocols(new String[] {"http/1.1"});
        ssl.setSSLParameters(params);
        ssl.startHandshake();
        return ssl;
    }

    private String requestHead(RequestInfo info) {
        var sb = new StringBuilder();
        String base = KubeApiForwarder.stripSlash(upstream.url().getRawPath() == null ? "" : upstream.url().getRawPath());
        sb.append(info.getMethod()).append(' ').append(base).append(info.getPath());
        if (!info.getQuery().isEmpty()) sb.append('?').append(info.getQuery());
        sb.append(" HTTP/1.1\r\n");
        int port = upstream.url().getPort();
        sb.append("Host: ").append(upstream.url().getHost()).append(port > 0 ? ":" + port : "").append("\r\n");
        boolean impersonating = !info.getImpersonation().getUsername().isEmpty();
        info.getHeadersMap().forEach((name, values) -> {
            String lower = name.toLowerCase(Locale.ROOT);
            if (NOT_FORWARDED.contains(lower) || lower.startsWith("impersonate-") && impersonating) return;
            for (String v : values.getValueList()) sb.append(name).append(": ").append(v).append("\r\n");
        });
        KubeApiForwarder.impersonationHeaders(info.getImpersonation())
                .forEach((k, vs) -> vs.forEach(v -> sb.append(k).append(": ").append(v).append("\r\n")));
        String token = upstream.bearerToken() == null ? null : upstream.bearerToken().get();
        if (token != null && !token.isEmpty()) sb.append("Authorization: Bearer ").append(token).append("\r\n");
        sb.append("\r\n");
        return sb.toString();
    }

    private record Head(int status, String reason, Map<String, List<String>> headers) {}

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
        return new Head(Integer.parseInt(parts[1]), parts.length > 2 ? parts[2] : "", headers);
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

    private static void copy(InputStream in, TunnelExchange exchange, long limit) throws IOException {
        byte[] buf = new byte[TunnelDefaults.CHUNK];
        long left = limit;
        int n;
        while (left > 0 && (n = in.read(buf, 0, (int) Math.min(buf.length, left))) >= 0) {
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

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }
}
