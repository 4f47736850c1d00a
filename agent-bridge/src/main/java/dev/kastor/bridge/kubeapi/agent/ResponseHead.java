package dev.kastor.bridge.kubeapi.agent;

import dev.kastor.bridge.kubeapi.HttpRules;
import dev.kastor.bridge.tunnel.rpc.Header;
import dev.kastor.bridge.tunnel.rpc.Values;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The API server's status line and header fields, as read; {@code http10}: it answered as HTTP/1.0. */
record ResponseHead(int status, String reason, Map<String, List<String>> headers, boolean http10) {
    /** How the body after this head ends (RFC 9112 6.3). */
    enum Framing {
        /** No body, whatever the head announces (an answer to HEAD, a 204, a 304). */
        NONE,
        /** {@link #contentLength()} bytes. */
        LENGTH,
        CHUNKED,
        /** The API server closes the connection after the body. */
        UNTIL_CLOSE
    }

    /** Every value of header {@code name}, any case. */
    List<String> all(String name) {
        var values = new ArrayList<String>();
        headers.forEach((k, v) -> {
            if (k.equalsIgnoreCase(name)) values.addAll(v);
        });
        return values;
    }

    /** An interim answer (1xx) the final one follows; a 101 is final: HTTP ends on this connection with it. */
    boolean interim() {
        return status < 200 && status != 101;
    }

    boolean switchesProtocols() {
        return status == 101;
    }

    Framing framing(String requestMethod) {
        if (requestMethod.equals("HEAD") || status == 204 || status == 304) return Framing.NONE;
        if (chunked()) return Framing.CHUNKED;
        return contentLength() >= 0 ? Framing.LENGTH : Framing.UNTIL_CLOSE;
    }

    private boolean chunked() {
        return all("transfer-encoding").stream().anyMatch(v -> v.toLowerCase(Locale.ROOT).contains("chunked"));
    }

    /** The announced body length, -1 when none is. */
    long contentLength() {
        List<String> values = all("content-length");
        return values.isEmpty() ? -1 : Long.parseLong(values.getFirst().trim());
    }

    /** Whether the API server keeps the connection open after this answer (HTTP/1.1 and no {@code Connection: close}). */
    boolean keepsAlive() {
        return !http10 && !HttpRules.connectionOptions(all("connection")).contains("close");
    }

    /**
     * The head as it goes through the tunnel: without what ends at this hop ({@link HttpRules}), and without a
     * {@code Content-Length} a chunked answer also sent, which the chunks override (RFC 9112 6.3: a proxy must remove
     * it, or the next hop may frame the body by it).
     */
    Header forTunnel() {
        var options = HttpRules.connectionOptions(all("connection"));
        boolean chunked = chunked();
        var header = Header.newBuilder().setStatus(status).setReason(reason);
        headers.forEach((name, values) -> {
            if (HttpRules.endsAtHop(name, options, switchesProtocols()) || chunked && name.equalsIgnoreCase("content-length")) return;
            header.putHeaders(name, Values.newBuilder().addAllValue(values).build());
        });
        return header.build();
    }
}
