package dev.kastor.citemplates;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Serves this repository's files read-only over HTTP the way GitLab's raw file URLs do
 * ({@code /kastor-dev/kastor/-/raw/<ref>/<path>}), for {@code include: remote:}. Only files under {@code ci-templates/}
 * are served.
 */
final class RawFiles implements AutoCloseable {
    private final HttpServer server;
    final List<String> fetched = new CopyOnWriteArrayList<>();

    private RawFiles() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/kastor-dev/kastor/-/raw/", ex -> {
            try (ex) {
                String rest = ex.getRequestURI().getPath().substring("/kastor-dev/kastor/-/raw/".length());
                String path = rest.substring(rest.indexOf('/') + 1);
                Path file = Repo.ROOT.resolve(path).normalize();
                if (!file.startsWith(Repo.CI_TEMPLATES) || !Files.isRegularFile(file)) {
                    ex.sendResponseHeaders(404, -1);
                    return;
                }
                fetched.add(path);
                byte[] body = Files.readAllBytes(file);
                ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
            }
        });
        server.start();
    }

    static RawFiles start() {
        try {
            return new RawFiles();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The raw URL of a file of this repository, e.g. {@code ci-templates/kastor.gitlab-ci.yml}. */
    String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/kastor-dev/kastor/-/raw/v0.1.0/" + path;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
