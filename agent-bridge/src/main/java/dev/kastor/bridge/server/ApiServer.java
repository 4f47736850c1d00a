package dev.kastor.bridge.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLContext;

/**
 * KAS's API port: {@code /healthz}, {@code /readyz}, {@code /metrics} (Prometheus text), and
 * {@code /api/v1/job/agents} (see {@link JobAgentsEndpoint}), and what feature modules add
 * ({@link dev.kastor.bridge.module.KasModule#apiEndpoints()}, e.g. the config push webhook). Small request/response
 * calls only, so the JDK server is enough here (the k8s proxy, which streams and upgrades, runs on Netty).
 */
final class ApiServer implements AutoCloseable {
    private final HttpServer server;
    private final Kas kas;

    /** {@code tls} null: plain HTTP (in-cluster, behind an ingress); else HTTPS with that context. */
    ApiServer(InetSocketAddress listen, SSLContext tls, Kas kas, JobAgentsEndpoint jobAgents, java.util.List<dev.kastor.bridge.module.KasModule> modules)
            throws IOException {
        this.kas = kas;
        if (tls == null) {
            server = HttpServer.create(listen, 64);
        } else {
            var https = HttpsServer.create(listen, 64);
            https.setHttpsConfigurator(new HttpsConfigurator(tls));
            server = https;
        }
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/healthz", ex -> text(ex, 200, "ok\n"));
        server.createContext("/readyz", ex -> {
            var why = kas.notReady();
            text(ex, why.isPresent() ? 503 : 200, why.map(w -> "not ready: " + w + "\n").orElse("ok\n"));
        });
        server.createContext("/metrics", ex -> {
            var sb = new StringBuilder(kas.metrics().prometheus());
            for (var m : modules) sb.append(m.prometheus());
            text(ex, 200, sb.toString());
        });
        server.createContext("/api/v1/job/agents", jobAgents::handle);
        for (var m : modules) m.apiEndpoints().forEach(server::createContext);
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    static void text(HttpExchange ex, int status, String body) throws IOException {
        try (ex) {
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            ex.sendResponseHeaders(status, b.length);
            ex.getResponseBody().write(b);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
