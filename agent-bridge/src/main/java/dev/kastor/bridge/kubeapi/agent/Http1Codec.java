package dev.kastor.bridge.kubeapi.agent;

import dev.kastor.bridge.kubeapi.KubeApiDefaults;
import dev.kastor.bridge.tunnel.TunnelDefaults;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;

/**
 * HTTP/1.1 on one {@link Connection} to the API server (RFC 9112): writes a request's head and body, reads the
 * answer's head and its body as the head frames it, and after a {@code 101} relays the raw bytes both ways. Which
 * connection, and whether it may carry another request, is {@link ApiServerConnections}'.
 */
final class Http1Codec {
    /** Where a body goes, a tunnel message at a time ({@code TunnelExchange::write}). */
    @FunctionalInterface
    interface Sink {
        void write(byte[] data, int off, int len) throws IOException;
    }

    private static final int MAX_LINE = 64 * 1024;
    private final Connection c;

    Http1Codec(Connection c) {
        this.c = c;
    }

    /** The head and, unless it announces none, the body from {@code client}, framed as the head says; then flushed. */
    void writeRequest(RequestHead head, InputStream client) throws IOException {
        c.out().write(head.bytes());
        if (head.hasBody() && head.chunked()) {
            writeChunked(client);
        } else if (head.hasBody()) {
            writeExactly(client, head.contentLength());
        }
        c.out().flush();
    }

    /**
     * The answer's head, after any interim 1xx answers, within {@code timeout} (see
     * {@link KubeApiDefaults#RESPONSE_HEAD_TIMEOUT} for why one bound serves watches too): {@link SocketTimeoutException}
     * when the API server stays silent. The body is not bounded.
     */
    ResponseHead readResponseHead(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) throw new SocketTimeoutException("no response head");
                // A silent server is what this guards against: each read waits at most what is left of the bound (a
                // server trickling a byte at a time could stretch it, a hung one cannot).
                c.socket().setSoTimeout((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                ResponseHead head = readHead();
                if (!head.interim()) return head;
            }
        } finally {
            if (!c.socket().isClosed()) c.socket().setSoTimeout(0);
        }
    }

    /** A body of {@code length} bytes, whole: for an answer small enough for one tunnel message. */
    byte[] readWholeBody(int length) throws IOException {
        byte[] body = new byte[length];
        int got = c.in().readNBytes(body, 0, length);
        if (got < length) throw cutShort(length - got);
        return body;
    }

    /** The body after {@code head} to {@code sink}, framed as {@code framing} says. */
    void readBody(ResponseHead head, ResponseHead.Framing framing, Sink sink) throws IOException {
        switch (framing) {
            case NONE -> { }
            case LENGTH -> copy(c.in(), sink, head.contentLength());
            case CHUNKED -> readChunked(sink);
            case UNTIL_CLOSE -> copy(c.in(), sink, Long.MAX_VALUE);
        }
    }

    /**
     * After a 101: the client's bytes to the API server (on a thread of their own, until the client's side ends) and the
     * API server's to {@code toClient}, until the API server's side ends; each direction ends on its own.
     */
    void relayUpgraded(InputStream fromClient, Sink toClient) throws IOException {
        Thread up = Thread.ofVirtual().name("upgrade-client-to-api").start(() -> pumpToServer(fromClient));
        try {
            copy(c.in(), toClient, Long.MAX_VALUE);
        } finally {
            up.interrupt();
        }
    }

    private void pumpToServer(InputStream fromClient) {
        byte[] buf = new byte[TunnelDefaults.CHUNK];
        try (fromClient) {
            OutputStream out = c.socket().getOutputStream();
            int n;
            while ((n = fromClient.read(buf)) >= 0) {
                out.write(buf, 0, n);
                out.flush();
            }
            if (!(c.socket() instanceof SSLSocket)) c.socket().shutdownOutput();
        } catch (IOException e) {
            c.close();
        }
    }

    private ResponseHead readHead() throws IOException {
        String statusLine = line();
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/")) throw new IOException("not an HTTP response from the API server: " + statusLine);
        var headers = new LinkedHashMap<String, List<String>>();
        for (String l = line(); !l.isEmpty(); l = line()) {
            int colon = l.indexOf(':');
            if (colon > 0) headers.computeIfAbsent(l.substring(0, colon).trim(), k -> new ArrayList<>()).add(l.substring(colon + 1).trim());
        }
        return new ResponseHead(Integer.parseInt(parts[1]), parts.length > 2 ? parts[2] : "", headers, parts[0].equals("HTTP/1.0"));
    }

    private void readChunked(Sink sink) throws IOException {
        for (long size = chunkSize(); size > 0; size = chunkSize()) {
            copy(c.in(), sink, size);
            line(); // the CRLF after the chunk
        }
        while (!line().isEmpty()) {
            // trailer fields are dropped
        }
    }

    private long chunkSize() throws IOException {
        String size = line();
        int semi = size.indexOf(';');
        return Long.parseLong((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
    }

    private String line() throws IOException {
        var b = new ByteArrayOutputStream();
        int ch;
        while ((ch = c.in().read()) >= 0 && ch != '\n') {
            if (ch != '\r') b.write(ch);
            if (b.size() > MAX_LINE) throw new IOException("response header line longer than 64 KiB");
        }
        if (ch < 0 && b.size() == 0) throw new IOException("the API server closed the connection before answering");
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    /** Up to {@code limit} bytes to {@code sink}, each write holding what is there, up to a chunk. */
    private static void copy(InputStream in, Sink sink, long limit) throws IOException {
        byte[] buf = new byte[TunnelDefaults.CHUNK];
        long left = limit;
        while (left > 0) {
            int n = fill(in, buf, (int) Math.min(buf.length, left));
            if (n < 0) {
                if (limit != Long.MAX_VALUE) throw cutShort(left);
                return;
            }
            if (n > 0) sink.write(buf, 0, n);
            left -= n;
        }
    }

    /**
     * Reads what is there, up to {@code max} bytes: the API server hands its body over in pieces of a few KiB, and a
     * tunnel message per piece would multiply frames; stopping when nothing more is buffered keeps a watch event from
     * waiting for the next one. -1 at the end of the body.
     */
    private static int fill(InputStream in, byte[] buf, int max) throws IOException {
        int filled = in.read(buf, 0, max);
        if (filled <= 0) return filled;
        while (filled < max && in.available() > 0) {
            int m = in.read(buf, filled, max - filled);
            if (m < 0) break;
            filled += m;
        }
        return filled;
    }

    private void writeExactly(InputStream client, long length) throws IOException {
        byte[] buf = new byte[TunnelDefaults.CHUNK];
        long left = length;
        while (left > 0) {
            int n = client.read(buf, 0, (int) Math.min(buf.length, left));
            if (n < 0) throw new IOException("the client sent " + (length - left) + " of the " + length + " bytes it announced");
            c.out().write(buf, 0, n);
            left -= n;
        }
    }

    private void writeChunked(InputStream client) throws IOException {
        byte[] buf = new byte[TunnelDefaults.CHUNK];
        int n;
        while ((n = client.read(buf)) >= 0) {
            if (n == 0) continue;
            c.out().write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            c.out().write(buf, 0, n);
            c.out().write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
            c.out().flush();
        }
        c.out().write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
    }

    private static IOException cutShort(long missing) {
        return new IOException("the API server closed the connection " + missing + " bytes before the end of its answer");
    }
}
