package dev.kastor.bridge.kubeapi.server;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import tools.jackson.databind.json.JsonMapper;

/** A Kubernetes {@code Status} object, the shape kubectl and fabric8 print as they print the API server's own errors. */
public record K8sStatus(int code, String reason, String message) {
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
