package dev.kastor.bridge.kubeapi.server;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import tools.jackson.databind.json.JsonMapper;

/**
 * A Kubernetes {@code Status} object, the shape kubectl and fabric8 print as they print the API server's own errors.
 * {@code retryAfterSeconds} above 0 says when to come back.
 */
public record K8sStatus(int code, String reason, String message, int retryAfterSeconds) {
    public K8sStatus(int code, String reason, String message) {
        this(code, reason, message, code == 429 ? 1 : 0);
    }

    private static final JsonMapper JSON = JsonMapper.builder().build();

    public static K8sStatus unauthorized(String message) {
        return new K8sStatus(401, "Unauthorized", message);
    }

    public static K8sStatus forbidden(String message) {
        return new K8sStatus(403, "Forbidden", message);
    }

    public static K8sStatus badRequest(String message) {
        return new K8sStatus(400, "BadRequest", message);
    }

    public static K8sStatus badGateway(String message) {
        return new K8sStatus(502, "BadGateway", message);
    }

    public static K8sStatus unavailable(String message) {
        return new K8sStatus(503, "ServiceUnavailable", message);
    }

    /** A 503 for a reason that passes by itself: client-go (kubectl, Helm) retries after {@code retryAfterSeconds} on its own. */
    public static K8sStatus unavailable(String message, int retryAfterSeconds) {
        return new K8sStatus(503, "ServiceUnavailable", message, retryAfterSeconds);
    }

    /**
     * The whole answer a client gets for this Status: the JSON, and {@code Connection: close} (whatever followed on the
     * connection, an unread body or the rest of a head, must never be read as the next request). A 429, and a 503 that
     * passes by itself, say when to come back ({@code Retry-After}), which client-go and kubectl honour by retrying.
     */
    FullHttpResponse httpResponse() {
        var response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(code), Unpooled.wrappedBuffer(json()));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        HttpUtil.setContentLength(response, response.content().readableBytes());
        if (retryAfterSeconds > 0) response.headers().set(HttpHeaderNames.RETRY_AFTER, String.valueOf(retryAfterSeconds));
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        return response;
    }

    public byte[] json() {
        var m = new LinkedHashMap<String, Object>();
        m.put("kind", "Status");
        m.put("apiVersion", "v1");
        m.put("metadata", new LinkedHashMap<>());
        m.put("status", "Failure");
        m.put("message", message);
        m.put("reason", reason);
        m.put("code", code);
        return JSON.writeValueAsString(m).getBytes(StandardCharsets.UTF_8);
    }
}
