package dev.kastor.bridge;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/** A real HTTP/1.1 upstream (the JDK server) standing where the Kubernetes API server would be, recording what reached it. */
public final class Upstream implements AutoCloseable {
    /** One request as the upstream saw it; {@code rawPath} as it came on the wire, still percent-encoded. */
    public record Seen(String method, String path, String query, Map<String, List<String>> headers, String rawPath) {}

    private final HttpServer server;
    public final List<Seen> seen = new CopyOnWriteArrayList<>();

    public Upstream() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.start();
    }

    public Upstream handle(String path, HttpHandler h) {
        server.createContext(path, ex -> {
            seen.add(new Seen(ex.getRequestMethod(), ex.getRequestURI().getPath(), ex.getRequestURI().getRawQuery(),
                    Map.copyOf(ex.getRequestHeaders()), ex.getRequestURI().getRawPath()));
            h.handle(ex);
        });
        return this;
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /**
     * A watch that writes three events ({@code {"type":"ADDED","n":0..2}}, one per line), each after the previous
     * gate opened: a test reads an event before it lets the next one be written, so nothing may wait for the end.
     */
    public static HttpHandler gatedWatch(java.util.concurrent.CountDownLatch... gates) {
        return ex -> {
            try (ex) {
                ex.getResponseHeaders().set("Content-Type", "application/json");
                ex.sendResponseHeaders(200, 0);
                var out = ex.getResponseBody();
                for (int i = 0; i <= gates.length; i++) {
                    out.write(("{\"type\":\"ADDED\",\"n\":" + i + "}\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    out.flush();
                    if (i < gates.length) gates[i].await(60, java.util.concurrent.TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
    }

    /** A body of {@code size} bytes, {@code block} after {@code block}, counting in {@code written} what the socket took. */
    public static HttpHandler countedBody(long size, byte[] block, java.util.concurrent.atomic.AtomicLong written) {
        return ex -> {
            try (ex) {
                ex.sendResponseHeaders(200, size);
                var out = ex.getResponseBody();
                for (long sent = 0; sent < size; sent += block.length) {
                    out.write(block);
                    written.addAndGet(block.length);
                }
            }
        };
    }

    /** Waits until a {@link #countedBody} stopped writing (its client paused and every buffer on the way is full). */
    public static long awaitWritesStop(java.util.concurrent.atomic.AtomicLong written) throws InterruptedException {
        long before;
        do {
            before = written.get();
            // "Stopped" means no byte for a whole second: the count staying put is the condition, and a blocked
            // write shows nothing else a test could wait on.
            Thread.sleep(1000);
        } while (written.get() != before);
        return before;
    }

    public static void send(HttpExchange ex, int status, String contentType, byte[] body) throws IOException {
        try (ex) {
            ex.getResponseHeaders().set("Content-Type", contentType);
            ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
            ex.getResponseBody().write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
