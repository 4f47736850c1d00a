package dev.kastor.steps.aot;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A registry in memory for the {@link Training} run only, so that training needs no network and no registry program:
 * just enough of the OCI distribution API for the artifact verbs (blob HEAD and GET, monolithic and chunked uploads,
 * manifest PUT, GET and HEAD) over plain HTTP on 127.0.0.1, a free port. No authentication, no limits: never a
 * registry to serve anything else.
 */
final class RegistryStandIn implements AutoCloseable {
    private static final Pattern PATH = Pattern.compile("/v2/(.+)/(blobs/uploads|blobs|manifests)/?(.*)");

    private record Manifest(byte[] body, String mediaType, String digest) {}

    private final HttpServer server;
    private final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
    private final Map<String, ByteArrayOutputStream> uploads = new ConcurrentHashMap<>();
    private final Map<String, Manifest> manifests = new ConcurrentHashMap<>();

    RegistryStandIn() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on 127.0.0.1 for the training registry", e);
        }
        server.createContext("/", exchange -> {
            try (exchange) {
                answer(exchange);
            }
        });
        server.start();
    }

    /** host:port, as an {@code oci://} reference names it. */
    String host() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    private void answer(HttpExchange x) throws IOException {
        Matcher m = PATH.matcher(x.getRequestURI().getPath());
        if (!m.matches()) {
            x.sendResponseHeaders(x.getRequestURI().getPath().equals("/v2/") ? 200 : 404, -1);
            return;
        }
        String repository = m.group(1);
        String rest = m.group(3);
        switch (m.group(2)) {
            case "blobs/uploads" -> upload(x, repository, rest);
            case "blobs" -> send(x, blobs.get(rest), "application/octet-stream", rest);
            default -> manifest(x, repository, rest);
        }
    }

    private void upload(HttpExchange x, String repository, String session) throws IOException {
        if (x.getRequestMethod().equals("POST")) session = UUID.randomUUID().toString();
        var received = uploads.computeIfAbsent(session, s -> new ByteArrayOutputStream());
        received.write(x.getRequestBody().readAllBytes());
        String query = x.getRequestURI().getQuery();
        if (x.getRequestMethod().equals("PUT") && query != null && query.startsWith("digest=")) {
            String digest = query.substring("digest=".length());
            byte[] blob = uploads.remove(session).toByteArray();
            if (!digest.equals(sha256(blob))) {
                x.sendResponseHeaders(400, -1);
                return;
            }
            blobs.put(digest, blob);
            x.getResponseHeaders().set("Docker-Content-Digest", digest);
            x.getResponseHeaders().set("Location", "/v2/" + repository + "/blobs/" + digest);
            x.sendResponseHeaders(201, -1);
            return;
        }
        x.getResponseHeaders().set("Location", "/v2/" + repository + "/blobs/uploads/" + session);
        x.sendResponseHeaders(202, -1);
    }

    private void manifest(HttpExchange x, String repository, String reference) throws IOException {
        if (!x.getRequestMethod().equals("PUT")) {
            Manifest stored = manifests.get(repository + "@" + reference);
            send(x, stored == null ? null : stored.body(), stored == null ? null : stored.mediaType(), stored == null ? null : stored.digest());
            return;
        }
        byte[] body = x.getRequestBody().readAllBytes();
        var stored = new Manifest(body, x.getRequestHeaders().getFirst("Content-Type"), sha256(body));
        manifests.put(repository + "@" + reference, stored);
        manifests.put(repository + "@" + stored.digest(), stored);
        x.getResponseHeaders().set("Docker-Content-Digest", stored.digest());
        x.getResponseHeaders().set("Location", "/v2/" + repository + "/manifests/" + stored.digest());
        x.sendResponseHeaders(201, -1);
    }

    /** 200 with the content (none for HEAD), or 404 when there is none. */
    private static void send(HttpExchange x, byte[] content, String mediaType, String digest) throws IOException {
        if (content == null) {
            x.sendResponseHeaders(404, -1);
            return;
        }
        x.getResponseHeaders().set("Content-Type", mediaType);
        x.getResponseHeaders().set("Docker-Content-Digest", digest);
        x.getResponseHeaders().set("Content-Length", String.valueOf(content.length));
        boolean head = x.getRequestMethod().equals("HEAD");
        x.sendResponseHeaders(200, head ? -1 : content.length);
        if (!head) x.getResponseBody().write(content);
    }

    private static String sha256(byte[] content) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
