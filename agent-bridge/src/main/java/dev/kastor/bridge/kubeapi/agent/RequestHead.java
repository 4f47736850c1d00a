package dev.kastor.bridge.kubeapi.agent;

import dev.kastor.bridge.kubeapi.HttpRules;
import dev.kastor.bridge.tunnel.rpc.Impersonation;
import dev.kastor.bridge.tunnel.rpc.RequestInfo;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A tunnelled request as it goes to the API server: its head on the wire ({@code bytes}), with the agent's credentials
 * and the impersonation KAS decided, and how its body is framed: {@code contentLength} bytes (-1: not announced), or
 * {@code chunked}. An {@code upgrade} sends no body: after the 101 both directions are raw bytes.
 */
record RequestHead(String method, byte[] bytes, long contentLength, boolean chunked, boolean upgrade) {
    /** Besides what ends at a hop ({@link HttpRules}): set here from the request's own framing, or by the agent. */
    private static final Set<String> SET_BY_THE_AGENT = Set.of("host", "authorization", "content-length", "expect");

    /**
     * The head for {@code info} on {@code upstream}; fails with a RuntimeException when the agent's own credentials (its
     * token file) cannot be read.
     */
    static RequestHead of(RequestInfo info, KubeApiUpstream upstream) {
        boolean upgrade = HttpRules.isUpgrade(!values(info, "upgrade").isEmpty(), values(info, "connection"));
        long length = contentLength(info);
        boolean chunked = length < 0 && !values(info, "transfer-encoding").isEmpty();
        var head = new StringBuilder();
        requestLine(head, info, upstream);
        headers(head, info, upstream, upgrade);
        if (length >= 0 && !upgrade) field(head, "Content-Length", Long.toString(length));
        if (chunked) field(head, "Transfer-Encoding", "chunked");
        head.append("\r\n");
        return new RequestHead(info.getMethod(), head.toString().getBytes(StandardCharsets.ISO_8859_1), length, chunked, upgrade);
    }

    /** Whether a body follows the head (an upgrade's client bytes are no body: they follow the 101). */
    boolean hasBody() {
        return !upgrade && (contentLength > 0 || chunked);
    }

    private static void requestLine(StringBuilder head, RequestInfo info, KubeApiUpstream upstream) {
        String base = upstream.url().getRawPath() == null ? "" : upstream.url().getRawPath();
        head.append(info.getMethod()).append(' ').append(base.endsWith("/") ? base.substring(0, base.length() - 1) : base).append(info.getPath());
        if (!info.getQuery().isEmpty()) head.append('?').append(info.getQuery());
        head.append(" HTTP/1.1\r\n");
        int port = upstream.url().getPort();
        field(head, "Host", upstream.url().getHost() + (port > 0 ? ":" + port : ""));
    }

    private static void headers(StringBuilder head, RequestInfo info, KubeApiUpstream upstream, boolean upgrade) {
        var options = HttpRules.connectionOptions(values(info, "connection"));
        info.getHeadersMap().forEach((name, values) -> {
            String lower = name.toLowerCase(Locale.ROOT);
            // Only the impersonation KAS decided goes out: this request carries the agent's token, and a client's own
            // Impersonate-* header (which KAS refuses, but the agent does not rely on that) would be obeyed.
            if (HttpRules.endsAtHop(lower, options, upgrade) || SET_BY_THE_AGENT.contains(lower) || lower.startsWith("impersonate-")) return;
            values.getValueList().forEach(v -> field(head, name, v));
        });
        impersonationHeaders(info.getImpersonation()).forEach((name, values) -> values.forEach(v -> field(head, name, v)));
        String token = upstream.bearerToken() == null ? null : upstream.bearerToken().get();
        if (token != null && !token.isEmpty()) field(head, "Authorization", "Bearer " + token);
    }

    private static void field(StringBuilder head, String name, String value) {
        head.append(name).append(": ").append(value).append("\r\n");
    }

    /** Every value of header {@code name} (any case) in the request KAS sent. */
    private static List<String> values(RequestInfo info, String name) {
        var out = new ArrayList<String>();
        info.getHeadersMap().forEach((k, v) -> {
            if (k.equalsIgnoreCase(name)) out.addAll(v.getValueList());
        });
        return out;
    }

    private static long contentLength(RequestInfo info) {
        List<String> values = values(info, "content-length");
        if (values.isEmpty()) return -1;
        try {
            return Long.parseLong(values.getFirst().trim());
        } catch (NumberFormatException ignored) {
            return -1;
        }
    }

    /** Kubernetes impersonation headers; extra keys are percent-encoded as the API server expects. */
    private static Map<String, List<String>> impersonationHeaders(Impersonation imp) {
        var m = new LinkedHashMap<String, List<String>>();
        if (imp.getUsername().isEmpty()) return m;
        m.put("Impersonate-User", List.of(imp.getUsername()));
        if (imp.getGroupsCount() > 0) m.put("Impersonate-Group", imp.getGroupsList());
        if (!imp.getUid().isEmpty()) m.put("Impersonate-Uid", List.of(imp.getUid()));
        imp.getExtraMap().forEach((k, v) -> m.put("Impersonate-Extra-" + percentEncode(k), v.getValueList()));
        return m;
    }

    private static String percentEncode(String key) {
        var sb = new StringBuilder();
        for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if (c < 128 && (Character.isLetterOrDigit(c) || "-._~!#$&'*+^`|".indexOf(c) >= 0)) sb.append(c);
            else sb.append('%').append(String.format("%02X", b & 0xff));
        }
        return sb.toString();
    }
}
