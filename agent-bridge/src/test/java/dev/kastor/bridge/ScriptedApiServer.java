package dev.kastor.bridge;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;

/**
 * A stand-in API server speaking raw HTTP/1.1 on a free loopback port, so a test writes exactly the bytes a real one may
 * send (chunk extensions, interim answers, a 101 and raw bytes after it, a close without notice). Each request is
 * recorded with its body as it came on the wire; what the server answers is the test's {@link Answer}.
 */
public final class ScriptedApiServer implements AutoCloseable {
    /** A request as it arrived: the connection it came on (1, 2, ...), its head and its body's bytes on the wire. */
    public record Request(int connection, String head, byte[] body) {
        public String requestLine() {
            return head.lines().findFirst().orElseThrow();
        }

        public String wireBody() {
            return new String(body, StandardCharsets.ISO_8859_1);
        }
    }

    @FunctionalInterface
    public interface Answer {
        /** Answers {@code request}; {@code in} holds what follows it. Returns whether the connection stays open. */
        boolean answer(Request request, InputStream in, OutputStream out) throws IOException;
    }

    private final ServerSocket listener;
    private final Answer answer;
    public final AtomicInteger connections = new AtomicInteger();
    public final List<Request> requests = new CopyOnWriteArrayList<>();
    /** A permit for each connection the server has closed (taken by {@link #awaitClosed}). */
    private final Semaphore closedPermits = new Semaphore(0);
    /** Connections the server has closed, all told. */
    public final AtomicInteger closed = new AtomicInteger();
    private final List<Socket> accepted = new CopyOnWriteArrayList<>();

    public ScriptedApiServer(Answer answer) throws IOException {
        this(answer, null);
    }

    /** With {@code tls}, the server speaks HTTPS (a cluster's API server with its own CA). */
    public ScriptedApiServer(Answer answer, SSLContext tls) throws IOException {
        this.answer = answer;
        this.listener = tls == null ? new ServerSocket() : tls.getServerSocketFactory().createServerSocket();
        listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        Thread.ofVirtual().name("scripted-api-server").start(this::accept);
    }

    /** An answer of status 200 with {@code body} and its length, keeping the connection open when {@code keepOpen}. */
    public static Answer ok(String body, boolean keepOpen) {
        return (request, in, out) -> {
            out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return keepOpen;
        };
    }

    /** {@code http://127.0.0.1:<port>}; the scheme is the test's to change when the server speaks TLS. */
    public URI url() {
        return URI.create("http://127.0.0.1:" + port());
    }

    public int port() {
        return listener.getLocalPort();
    }

    /** Waits until the server has closed {@code n} more connections. */
    public void awaitClosed(int n) throws InterruptedException {
        if (!closedPermits.tryAcquire(n, 10, TimeUnit.SECONDS)) throw new AssertionError("the server closed no " + n + " connections within 10 s");
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket s = listener.accept();
                accepted.add(s);
                int n = connections.incrementAndGet();
                Thread.ofVirtual().start(() -> serve(s, n));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s, int connection) {
        try (s) {
            InputStream in = new BufferedInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            for (String head = head(in); head != null; head = head(in)) {
                var request = new Request(connection, head, body(head, in));
                requests.add(request);
                if (!answer.answer(request, in, out)) return;
            }
        } catch (IOException e) {
            // the agent went away
        } finally {
            closed.incrementAndGet();
            closedPermits.release();
        }
    }

    /** The head up to its empty line, null at the end of the stream. */
    private static String head(InputStream in) throws IOException {
        var head = new StringBuilder();
        for (String line = line(in); line != null; line = line(in)) {
            if (line.isEmpty()) return head.toString();
            head.append(line).append("\r\n");
        }
        return null;
    }

    private static byte[] body(String head, InputStream in) throws IOException {
        String lower = head.toLowerCase(Locale.ROOT);
        if (lower.contains("\r\ntransfer-encoding: chunked\r\n")) return chunkedOnTheWire(in);
        for (String line : lower.split("\r\n")) {
            if (line.startsWith("content-length:")) return in.readNBytes(Integer.parseInt(line.substring(15).trim()));
        }
        return new byte[0];
    }

    /** The chunked body as it came, chunk sizes and CRLFs included, to its last chunk and the empty line after it. */
    private static byte[] chunkedOnTheWire(InputStream in) throws IOException {
        var wire = new ByteArrayOutputStream();
        for (String size = line(in); size != null; size = line(in)) {
            int n = Integer.parseInt(size.trim(), 16);
            wire.writeBytes((size + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            wire.writeBytes(in.readNBytes(n + 2));
            if (n == 0) break;
        }
        return wire.toByteArray();
    }

    private static String line(InputStream in) throws IOException {
        var line = new ByteArrayOutputStream();
        for (int b = in.read(); b >= 0; b = in.read()) {
            if (b == '\n') return line.toString(StandardCharsets.ISO_8859_1).stripTrailing();
            line.write(b);
        }
        return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        listener.close();
        for (Socket s : accepted) s.close();
    }
}
