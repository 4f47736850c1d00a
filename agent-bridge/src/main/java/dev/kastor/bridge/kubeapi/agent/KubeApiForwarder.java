package dev.kastor.bridge.kubeapi.agent;

import dev.kastor.bridge.tunnel.TunnelDefaults;
import dev.kastor.bridge.tunnel.agent.RequestHandler;
import dev.kastor.bridge.tunnel.agent.TunnelExchange;
import dev.kastor.bridge.tunnel.rpc.Header;
import dev.kastor.bridge.tunnel.rpc.Impersonation;
import dev.kastor.bridge.tunnel.rpc.RequestInfo;
import dev.kastor.bridge.tunnel.rpc.Values;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The agent's half of the k8s proxy: replays a tunnelled request against the cluster's API server with the
 * agent's credentials and the impersonation KAS decided, and streams the answer back chunk by chunk (a watch
 * event goes out as soon as the API server sends it; a large LIST never sits whole in memory). Upgrade requests
 * (exec, attach, port-forward, WebSocket watches) go to {@link UpgradeForwarder}.
 */
public final class KubeApiForwarder implements RequestHandler {
    /** Hop-by-hop headers, and those the JDK client sets itself. */
    private static final Set<String> NOT_FORWARDED = Set.of("connection", "keep-alive", "proxy-connection", "te", "trailer",
            "transfer-encoding", "upgrade", "host", "content-length", "expect", "authorization");

    private final KubeApiUpstream upstream;
    private final HttpClient http;
    private final UpgradeForwarder upgrades;

    public KubeApiForwarder(KubeApiUpstream upstream) {
        this.upstream = upstream;
        var b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NEVER);
        if (upstream.tls() != null) b.sslContext(upstream.tls());
        this.http = b.build();
        this.upgrades = new UpgradeForwarder(upstream);
    }

    @Override
    public void handle(RequestInfo info, TunnelExchange exchange) throws Exception {
        if (isUpgrade(info)) {
            upgrades.forward(info, exchange);
            return;
        }
        String query = info.getQuery().isEmpty() ? "" : "?" + info.getQuery();
        URI uri = URI.create(stripSlash(upstream.url().toString()) + info.getPath() + query);
        var rb = HttpRequest.newBuilder(uri);
        info.getHeadersMap().forEach((name, values) -> {
            String lower = name.toLowerCase(Locale.ROOT);
            if (NOT_FORWARDED.contains(lower) || lower.startsWith("impersonate-") && !info.getImpersonation().getUsername().isEmpty()) return;
            for (String v : values.getValueList()) rb.header(name, v);
        });
        impersonationHeaders(info.getImpersonation()).forEach((k, vs) -> vs.forEach(v -> rb.header(k, v)));
        String token = upstream.bearerToken() == null ? null : upstream.bearerToken().get();
        if (token != null && !token.isEmpty()) rb.header("Authorization", "Bearer " + token);
        rb.method(info.getMethod(), body(info, exchange));

        HttpResponse<InputStream> response;
        try {
            response = http.send(rb.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            exchange.error(502, "the agent cannot reach the Kubernetes API server " + upstream.url() + ": " + e.getMessage());
            return;
        }
        try (InputStream in = response.body()) {
            exchange.onCancel(() -> {
                try {
                    in.close();
                } catch (IOException ignored) {
                    // closing to unblock the reader
                }
            });
            var h = Header.newBuilder().setStatus(response.statusCode());
            response.headers().map().forEach((name, values) -> {
                String lower = name.toLowerCase(Locale.ROOT);
                if (lower.startsWith(":") || NOT_FORWARDED.contains(lower) && !lower.equals("content-length")) return;
                h.putHeaders(name, Values.newBuilder().addAllValue(values).build());
            });
            exchange.header(h.build());
            byte[] buf = new byte[TunnelDefaults.CHUNK];
            int n;
            while ((n = fill(in, buf)) >= 0) {
                if (n > 0) exchange.write(buf, 0, n);
            }
            exchange.trailer();
        }
    }

    /**
     * Reads what is there, up to a full chunk: the client hands its body over in pieces of a few KiB, and a tunnel
     * message per piece would multiply frames; stopping when nothing more is buffered keeps a watch event from
     * waiting for the next one. -1 at the end of the body.
     */
    static int fill(InputStream in, byte[] buf) throws IOException {
        int filled = in.read(buf);
        if (filled <= 0) return filled;
        while (filled < buf.length && in.available() > 0) {
            int m = in.read(buf, filled, buf.length - filled);
            if (m < 0) break;
            filled += m;
        }
        return filled;
    }

    private static HttpRequest.BodyPublisher body(RequestInfo info, TunnelExchange exchange) {
        long length = contentLength(info);
        boolean chunked = info.getHeadersMap().keySet().stream().anyMatch(k -> k.equalsIgnoreCase("transfer-encoding"));
        if (length > 0) {
            return HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(exchange::requestBody), length);
        }
        if (chunked) return HttpRequest.BodyPublishers.ofInputStream(exchange::requestBody);
        return HttpRequest.BodyPublishers.noBody();
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

    static boolean isUpgrade(RequestInfo info) {
        boolean upgrade = false;
        boolean connection = false;
        for (var e : info.getHeadersMap().entrySet()) {
            if (e.getKey().equalsIgnoreCase("upgrade")) upgrade = true;
            if (e.getKey().equalsIgnoreCase("connection")) {
                connection = e.getValue().getValueList().stream().anyMatch(v -> v.toLowerCase(Locale.ROOT).contains("upgrade"));
            }
        }
        return upgrade && connection;
    }

    /** Kubernetes impersonation headers; extra keys are percent-encoded as the API server expects. */
    static Map<String, List<String>> impersonationHeaders(Impersonation imp) {
        var m = new java.util.LinkedHashMap<String, List<String>>();
        if (imp.getUsername().isEmpty()) return m;
        m.put("Impersonate-User", List.of(imp.getUsername()));
        if (imp.getGroupsCount() > 0) m.put("Impersonate-Group", imp.getGroupsList());
        if (!imp.getUid().isEmpty()) m.put("Impersonate-Uid", List.of(imp.getUid()));
        imp.getExtraMap().forEach((k, v) -> m.put("Impersonate-Extra-" + percentEncode(k), v.getValueList()));
        return m;
    }

    private static String percentEncode(String key) {
        var sb = new StringBuilder();
        for (byte b : key.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if (c < 128 && (Character.isLetterOrDigit(c) || "-._~!#$&'*+^`|".indexOf(c) >= 0)) sb.append(c);
            else sb.append('%').append(String.format("%02X", b & 0xff));
        }
        return sb.toString();
    }

    static String stripSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }
}
