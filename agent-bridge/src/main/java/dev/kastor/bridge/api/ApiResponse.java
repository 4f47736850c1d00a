package dev.kastor.bridge.api;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/** An API port answer: status, headers beside Content-Type and Content-Length, and the whole body. */
public record ApiResponse(int status, String contentType, Map<String, String> headers, byte[] body) {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    public ApiResponse {
        headers = Map.copyOf(headers);
    }

    /** Plain text; Prometheus's text format version, which {@code /metrics} needs and the other text answers do not mind. */
    public static ApiResponse text(int status, String body) {
        return new ApiResponse(status, "text/plain; version=0.0.4; charset=utf-8", Map.of(), body.getBytes(StandardCharsets.UTF_8));
    }

    public static ApiResponse json(int status, Object body) {
        return new ApiResponse(status, "application/json", Map.of(), JSON.writeValueAsBytes(body));
    }

    /** {@code {"message": …}}, the shape of every error (and of the webhook's answers), as in GitLab's API. */
    public static ApiResponse message(int status, String message) {
        return json(status, Map.of("message", message));
    }

    public ApiResponse withHeader(String name, String value) {
        var h = new LinkedHashMap<>(headers);
        h.put(name, value);
        return new ApiResponse(status, contentType, h, body);
    }
}
