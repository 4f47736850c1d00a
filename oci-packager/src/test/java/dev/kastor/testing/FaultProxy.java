package dev.kastor.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;

/**
 * An HTTP/1.1 proxy on a free 127.0.0.1 port in front of a registry that injects faults by rule and records every
 * request it saw. Everything a rule does not catch is forwarded byte for byte, including the Host header, so the
 * registry builds its upload Locations for the proxy's address and the client keeps talking through it.
 *
 * <pre>
 * proxy.on("POST", "/blobs/uploads/").times(2).respond(503);
 * proxy.on("POST", "/blobs/uploads/").times(1).respond(429, "Retry-After", "1");
 * proxy.on("PATCH|PUT", "/blobs/uploads/").times(1).resetAfterBodyBytes(64 * 1024);
 * proxy.on("PUT|POST|PATCH", "/blobs/uploads/").always().respond(503);
 * </pre>
 */
public final class FaultProxy implements AutoCloseable {
    /** One request as the proxy saw it; {@code fault} is null when it was forwarded. */
    public record Seen(String method, String target, int status, String fault, long nanoTime) {
        public boolean matches(String methodRegex, String targetRegex) {
            return method.matches(methodRegex) && Pattern.compile(targetRegex).matcher(target).find();
        }
    }

    /** A rule: which requests (method regex, target regex found anywhere in path+query), how many times, what fault. */
    public final class Rule {
        private final Pattern method;
        private final Pattern target;
        private int remaining = 1;
        private int status;
        private Map<String, String> headers = Map.of();
        private long resetAfter = -1;
        private boolean stall;
        private byte[] body = new byte[0];

        private Rule(String methodRegex, String targetRegex) {
            this.method = Pattern.compile(methodRegex);
            this.target = Pattern.compile(targetRegex);
        }

        /** Applies to the next {@code n} matching requests (default 1). */
        public Rule times(int n) {
            this.remaining = n;
            return this;
        }

        public Rule always() {
            this.remaining = Integer.MAX_VALUE;
            return this;
        }

        /** Answers {@code status} itself (with header name/value pairs) instead of forwarding. */
        public FaultProxy respond(int statusCode, String... headerPairs) {
            this.status = statusCode;
            var h = new LinkedHashMap<String, String>();
            for (int i = 0; i + 1 < headerPairs.length; i += 2) {
                h.put(headerPairs[i], headerPairs[i + 1]);
            }
            this.headers = h;
            return FaultProxy.this;
        }

        /** Answers {@code status} with a JSON body, e.g. a registry error document a real registry could send. */
        public FaultProxy respondJson(int statusCode, String json) {
            this.body = json.getBytes(StandardCharsets.UTF_8);
            return respond(statusCode, "Content-Type", "application/json");
        }

        /** Forwards the head and {@code bytes} of the body, then resets both connections (a network drop mid-upload). */
        public FaultProxy resetAfterBodyBytes(long bytes) {
            this.resetAfter = bytes;
            return FaultProxy.this;
        }

        /** Takes the request and never answers, keeping the connection open: a registry gone silent. */
        public FaultProxy stall() {
            this.stall = true;
            return FaultProxy.this;
        }

        private synchronized boolean take(String m, String t) {
            if (remaining > 0 && method.matcher(m).matches() && target.matcher(t).find()) {
                remaining--;
                return true;
            }
            return false;
        }
    }

    private final String upstreamHost;
    private final int upstreamPort;
    private final ServerSocket server;
    private final List<Rule> rules = new CopyOnWriteArrayList<>();
    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    public FaultProxy(String upstreamHost, int upstreamPort) {
        this.upstreamHost = upstreamHost;
        this.upstreamPort = upstreamPort;
        try {
            this.server = new ServerSocket();
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        } catch (IOException e) {
            throw new IllegalStateException("cannot open the fault proxy's port", e);
        }
        Thread acceptor = new Thread(this::acceptLoop, "fault-proxy-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** A proxy in front of a plain-HTTP {@link RegistryServer}. */
    public static FaultProxy in(RegistryServer registry) {
        return new FaultProxy("127.0.0.1", registry.port());
    }

    public String host() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    /** Adds a rule; rules are tried in the order added, the first that takes a request applies. */
    public Rule on(String methodRegex, String targetRegex) {
        Rule rule = new Rule(methodRegex, targetRegex);
        rules.add(rule);
        return rule;
    }

    public List<Seen> requests() {
        return List.copyOf(seen);
    }

    public List<Seen> requests(String methodRegex, String targetRegex) {
        return seen.stream().filter(s -> s.matches(methodRegex, targetRegex)).toList();
    }

    public void clear() {
        seen.clear();
        rules.clear();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket client = server.accept();
                open.add(client);
                Thread t = new Thread(() -> serve(client), "fault-proxy-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket client) {
        Socket upstream = null;
        try (client) {
            InputStream in = new BufferedInputStream(client.getInputStream());
            OutputStream out = client.getOutputStream();
            while (true) {
                Head request = Head.read(in);
                if (request == null) {
                    return;
                }
                String[] line = request.firstLine.split(" ");
                String method = line[0];
                String target = line.length > 1 ? line[1] : "";
                long at = System.nanoTime();
                Rule rule = rules.stream().filter(r -> r.take(method, target)).findFirst().orElse(null);
                if (rule != null && rule.stall) {
                    copyBody(in, OutputStream.nullOutputStream(), request, Long.MAX_VALUE);
                    seen.add(new Seen(method, target, 0, "stall", at));
                    while (in.read() >= 0) {
                        // silent until the client gives up and closes
                    }
                    return;
                }
                if (rule != null && rule.resetAfter < 0) {
                    copyBody(in, OutputStream.nullOutputStream(), request, Long.MAX_VALUE);
                    var response = new StringBuilder("HTTP/1.1 " + rule.status + " Injected\r\nContent-Length: " + rule.body.length + "\r\n");
                    rule.headers.forEach((k, v) -> response.append(k).append(": ").append(v).append("\r\n"));
                    out.write(response.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
                    if (!method.equals("HEAD")) {
                        out.write(rule.body);
                    }
                    out.flush();
                    seen.add(new Seen(method, target, rule.status, "respond " + rule.status, at));
                    continue;
                }
                if (upstream == null) {
                    upstream = new Socket(upstreamHost, upstreamPort);
                    open.add(upstream);
                }
                InputStream upIn = new BufferedInputStream(upstream.getInputStream());
                OutputStream upOut = upstream.getOutputStream();
                upOut.write(request.raw);
                if (rule != null) {
                    copyBody(in, upOut, request, rule.resetAfter);
                    upOut.flush();
                    seen.add(new Seen(method, target, 0, "reset after " + rule.resetAfter + " body bytes", at));
                    client.setSoLinger(true, 0); // RST rather than FIN: what a dropped connection looks like
                    upstream.setSoLinger(true, 0);
                    upstream.close();
                    return;
                }
                copyBody(in, upOut, request, Long.MAX_VALUE);
                upOut.flush();
                Head response = Head.read(upIn);
                if (response == null) {
                    seen.add(new Seen(method, target, 0, "upstream closed", at));
                    return;
                }
                int status = Integer.parseInt(response.firstLine.split(" ")[1]);
                seen.add(new Seen(method, target, status, null, at));
                out.write(response.raw);
                boolean noBody = method.equals("HEAD") || status / 100 == 1 || status == 204 || status == 304;
                if (!noBody) {
                    if (response.chunked() || response.contentLength() >= 0) {
                        copyBody(upIn, out, response, Long.MAX_VALUE);
                    } else {
                        upIn.transferTo(out);
                        out.flush();
                        return;
                    }
                }
                out.flush();
            }
        } catch (IOException e) {
            // The client or the registry went away: this connection is over.
        } finally {
            if (upstream != null) {
                try {
                    upstream.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
        }
    }

    /** Copies a message body framed by Content-Length or chunked encoding, at most {@code limit} bytes of it. */
    private static void copyBody(InputStream in, OutputStream out, Head head, long limit) throws IOException {
        if (head.chunked()) {
            long copied = 0;
            while (true) {
                String sizeLine = readLine(in);
                out.write((sizeLine + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                int semi = sizeLine.indexOf(';');
                long size = Long.parseLong((semi >= 0 ? sizeLine.substring(0, semi) : sizeLine).trim(), 16);
                if (size == 0) {
                    for (String trailer; !(trailer = readLine(in)).isEmpty(); ) {
                        out.write((trailer + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    }
                    out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    return;
                }
                long n = Math.min(size, limit - copied);
                copyExactly(in, out, n);
                copied += n;
                if (copied >= limit) {
                    return;
                }
                copyExactly(in, out, 2); // CRLF after the chunk
            }
        }
        long length = head.contentLength();
        if (length > 0) {
            copyExactly(in, out, Math.min(length, limit));
        }
    }

    private static void copyExactly(InputStream in, OutputStream out, long n) throws IOException {
        byte[] buf = new byte[64 * 1024];
        while (n > 0) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, n));
            if (r < 0) {
                throw new IOException("stream ended with " + n + " bytes of the body missing");
            }
            out.write(buf, 0, r);
            n -= r;
        }
    }

    private static String readLine(InputStream in) throws IOException {
        var line = new ByteArrayOutputStream();
        for (int b; (b = in.read()) != -1; ) {
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                int len = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, len, StandardCharsets.ISO_8859_1);
            }
            line.write(b);
        }
        if (line.size() == 0) {
            return null;
        }
        throw new IOException("connection closed mid-line");
    }

    /** A request or response head: first line, headers, and its raw bytes to forward unchanged. */
    private record Head(String firstLine, Map<String, String> headers, byte[] raw) {
        static Head read(InputStream in) throws IOException {
            String first = readLine(in);
            if (first == null) {
                return null;
            }
            var raw = new ByteArrayOutputStream();
            raw.write((first + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            Map<String, String> headers = new LinkedHashMap<>();
            for (String line; (line = readLine(in)) != null && !line.isEmpty(); ) {
                raw.write((line + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                int colon = line.indexOf(':');
                if (colon > 0) {
                    headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
                }
            }
            raw.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
            return new Head(first, headers, raw.toByteArray());
        }

        boolean chunked() {
            return headers.getOrDefault("transfer-encoding", "").toLowerCase(Locale.ROOT).contains("chunked");
        }

        long contentLength() {
            String v = headers.get("content-length");
            return v == null ? -1 : Long.parseLong(v);
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        for (Socket s : new ArrayList<>(open)) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
