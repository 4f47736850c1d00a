package dev.kastor.bridge.kubeapi.agent;

import dev.kastor.bridge.kubeapi.HttpRules;
import dev.kastor.bridge.kubeapi.RequestPaths;
import dev.kastor.bridge.tunnel.agent.RequestHandler;
import dev.kastor.bridge.tunnel.agent.TunnelExchange;
import dev.kastor.bridge.tunnel.rpc.Impersonation;
import dev.kastor.bridge.tunnel.rpc.RequestInfo;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The agent's half of the k8s proxy: replays a tunnelled request against the cluster's API server with the
 * agent's credentials and the impersonation KAS decided, and streams the answer back chunk by chunk (a watch
 * event goes out as soon as the API server sends it; a large LIST never sits whole in memory). The HTTP itself,
 * upgrades included (exec, attach, port-forward, WebSocket watches), is {@link ApiServerHttp}'s.
 */
public final class KubeApiForwarder implements RequestHandler {
    private final ApiServerHttp http;

    public KubeApiForwarder(KubeApiUpstream upstream) {
        this.http = new ApiServerHttp(upstream);
    }

    @Override
    public void handle(RequestInfo info, TunnelExchange exchange) throws Exception {
        // KAS refuses such paths already; the agent does not rely on it (a KAS of another version may not).
        var refused = RequestPaths.whyRefused(info.getPath());
        if (refused.isPresent()) {
            exchange.error(400, "the agent refuses the request: " + refused.get());
            return;
        }
        http.forward(info, exchange);
    }

    /**
     * Reads what is there, up to {@code max} bytes: the API server hands its body over in pieces of a few KiB, and a
     * tunnel message per piece would multiply frames; stopping when nothing more is buffered keeps a watch event from
     * waiting for the next one. -1 at the end of the body.
     */
    static int fill(InputStream in, byte[] buf, int max) throws IOException {
        int filled = in.read(buf, 0, max);
        if (filled <= 0) return filled;
        while (filled < max && in.available() > 0) {
            int m = in.read(buf, filled, max - filled);
            if (m < 0) break;
            filled += m;
        }
        return filled;
    }

    static boolean isUpgrade(RequestInfo info) {
        return HttpRules.isUpgrade(!values(info, "upgrade").isEmpty(), values(info, "connection"));
    }

    /** Every value of header {@code name} (any case) in the request KAS sent. */
    static List<String> values(RequestInfo info, String name) {
        var out = new ArrayList<String>();
        info.getHeadersMap().forEach((k, v) -> {
            if (k.equalsIgnoreCase(name)) out.addAll(v.getValueList());
        });
        return out;
    }

    /** Kubernetes impersonation headers; extra keys are percent-encoded as the API server expects. */
    static Map<String, List<String>> impersonationHeaders(Impersonation imp) {
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

    static String stripSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }
}
