package dev.kastor.testing.kube;

import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The API server's service proxy for the Kubernetes API stand-in ({@link KubeStandIn#proxyService}), which fabric8's
 * mock does not serve: {@code <method> /api/v1/namespaces/<ns>/services/[<scheme>:]<name>[:<port>]/proxy[/<rest>][?<query>]}
 * is sent to the target registered for {@code <ns>/<name>} as {@code <method> <target>/<rest>[?<query>]} with the body and
 * the request headers, and the target's status, headers and body are the answer. Everything else goes to the stand-in.
 *
 * <p>As kube-apiserver does: hop-by-hop headers are not forwarded either way, nor is {@code Authorization} (the API
 * server's authentication removes it before proxying); a service with no registered target is 503
 * {@code ServiceUnavailable "no endpoints available for service \"<name>\""}, a target that cannot be reached is 503
 * {@code "error trying to reach service: …"}, a service segment of more than three parts is 400; all as {@code Status}.
 *
 * <p>What it is not: no credentials are checked (fabric8's mock checks none on any path, so neither does this), no
 * Service or Endpoints object is looked up (the scheme and port in the segment are ignored: the target says where to
 * go), responses are buffered whole (no streaming, no upgrades), redirects are passed back as they are, and the target
 * is called on the mock server's event-loop thread, so a target that calls back into the stand-in may stall.
 */
final class ServiceProxyStandIn extends Dispatcher {
    private static final Pattern PROXY = Pattern.compile("/api/v1/namespaces/([^/]+)/services/([^/]+)/proxy(/[^?]*)?(\\?.*)?");
    /** Hop-by-hop headers, those the JDK client sets itself, and Authorization: never forwarded. */
    private static final Set<String> NOT_FORWARDED = Set.of("authorization", "connection", "content-length", "expect", "host",
            "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade");

    private final Dispatcher standIn;
    private final Map<String, URI> targets = new ConcurrentHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();

    ServiceProxyStandIn(Dispatcher standIn) {
        this.standIn = standIn;
    }

    void register(String namespace, String name, URI target) {
        targets.put(namespace + "/" + name, target);
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        Matcher m = PROXY.matcher(request.getPath());
        if (!m.matches()) return standIn.dispatch(request);
        String segment = m.group(2).replaceAll("(?i)%3A", ":");
        String[] parts = segment.split(":", -1);
        if (parts.length > 3) return status(400, "BadRequest", "invalid service request \"" + segment + "\"");
        String name = parts.length == 3 ? parts[1] : parts[0];
        URI target = targets.get(m.group(1) + "/" + name);
        if (target == null) return status(503, "ServiceUnavailable", "no endpoints available for service \"" + name + "\"");
        String rest = m.group(3) == null ? "/" : m.group(3);
        URI uri = URI.create(target.toString().replaceAll("/+$", "") + rest + (m.group(4) == null ? "" : m.group(4)));
        try {
            return forward(request, uri);
        } catch (IOException e) {
            return status(503, "ServiceUnavailable", "error trying to reach service: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return status(503, "ServiceUnavailable", "error trying to reach service: interrupted");
        }
    }

    private MockResponse forward(RecordedRequest request, URI uri) throws IOException, InterruptedException {
        byte[] body = request.getBody() == null ? new byte[0] : request.getBody().getBytes();
        var out = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                .method(request.getMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        request.getHeaders().toMultimap().forEach((header, values) -> {
            if (forwarded(header)) values.forEach(v -> out.header(header, v));
        });
        HttpResponse<byte[]> in = http.send(out.build(), HttpResponse.BodyHandlers.ofByteArray());
        var answer = new MockResponse().setResponseCode(in.statusCode()).setBody(in.body());
        in.headers().map().forEach((header, values) -> {
            if (forwarded(header)) values.forEach(v -> answer.addHeader(header, v));
        });
        return answer;
    }

    private static boolean forwarded(String header) {
        String h = header.toLowerCase(Locale.ROOT);
        return !NOT_FORWARDED.contains(h) && !h.startsWith(":");
    }

    private static MockResponse status(int code, String reason, String message) {
        return ServerSideApplyStandIn.json(code, ServerSideApplyStandIn.status(code, reason, message, null));
    }

    @Override
    public void shutdown() {
        http.close();
        standIn.shutdown();
    }
}
