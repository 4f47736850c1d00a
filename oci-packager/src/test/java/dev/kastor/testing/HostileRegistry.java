package dev.kastor.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A registry that misbehaves on purpose, for what a real registry never does: it answers {@code /v2/}, serves one
 * manifest for every {@code GET …/manifests/…} and answers every {@code GET …/blobs/…} with a body of its choosing
 * ({@link Body}), e.g. bytes without end for a blob its manifest declares small, or a body that trickles. Plain HTTP
 * on 127.0.0.1, a free port; {@link #bytesSent()} counts the blob bytes it managed to write.
 */
public final class HostileRegistry implements AutoCloseable {
    /** Writes a blob answer; headers are already sent (chunked, so the body may be any length). */
    @FunctionalInterface
    public interface Body {
        void write(OutputStream out, AtomicLong sent) throws IOException;
    }

    private final HttpServer server;
    private final AtomicLong sent = new AtomicLong();

    private HostileRegistry(byte[] manifest, String manifestMediaType, Body blob) {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", exchange -> {
            try (exchange) {
                String path = exchange.getRequestURI().getPath();
                if (path.equals("/v2/") || path.equals("/v2")) {
                    exchange.sendResponseHeaders(200, -1);
                } else if (path.contains("/manifests/")) {
                    exchange.getResponseHeaders().set("Content-Type", manifestMediaType);
                    if (exchange.getRequestMethod().equals("HEAD")) {
                        exchange.sendResponseHeaders(200, -1);
                    } else {
                        exchange.sendResponseHeaders(200, manifest.length);
                        exchange.getResponseBody().write(manifest);
                    }
                } else if (path.contains("/blobs/") && exchange.getRequestMethod().equals("GET")) {
                    exchange.sendResponseHeaders(200, 0);
                    blob.write(exchange.getResponseBody(), sent);
                } else {
                    exchange.sendResponseHeaders(404, -1);
                }
            } catch (IOException clientWentAway) {
                // the client stopped reading: that is what a well-behaved client does with this server
            }
        });
        server.start();
    }

    /** Serves {@code manifest} (an OCI image manifest) and answers blob GETs with {@code blob}. */
    public static HostileRegistry start(byte[] manifest, Body blob) {
        return new HostileRegistry(manifest, "application/vnd.oci.image.manifest.v1+json", blob);
    }

    /** A body of bytes that never ends (until the client closes the connection). */
    public static Body endless() {
        return (out, sent) -> {
            byte[] chunk = new byte[64 * 1024];
            while (true) {
                out.write(chunk);
                sent.addAndGet(chunk.length);
            }
        };
    }

    /** {@code content} written {@code chunk} bytes at a time, one chunk per {@code pauseMillis}. */
    public static Body trickle(byte[] content, int chunk, long pauseMillis) {
        return (out, sent) -> {
            for (int off = 0; off < content.length; off += chunk) {
                int n = Math.min(chunk, content.length - off);
                out.write(content, off, n);
                out.flush();
                sent.addAndGet(n);
                try {
                    // behaviour, not waiting: a trickling body is what this stand-in serves
                    Thread.sleep(pauseMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        };
    }

    /** {@code host:port}, as in a reference. */
    public String host() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    /** Blob bytes written so far. */
    public long bytesSent() {
        return sent.get();
    }

    /** An OCI manifest with a Flux config and one Flux content layer of this digest and size. */
    public static byte[] fluxManifest(String layerDigest, long layerSize) {
        String config = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"; // sha256 of "{}"
        return ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":{\"mediaType\":\"application/vnd.cncf.flux.config.v1+json\",\"digest\":\"" + config + "\",\"size\":2},"
                + "\"layers\":[{\"mediaType\":\"application/vnd.cncf.flux.content.v1.tar+gzip\",\"digest\":\"" + layerDigest
                + "\",\"size\":" + layerSize + "}],\"annotations\":{\"org.opencontainers.image.created\":\"2026-01-01T00:00:00Z\"}}")
                .getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
