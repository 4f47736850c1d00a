package dev.kastor.bridge.server;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import tools.jackson.databind.json.JsonMapper;

/** JSON answers on KAS's API port, for its own endpoints and those feature modules add. */
public final class ApiJson {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private ApiJson() {}

    /** Writes {@code body} as JSON with {@code status}; the caller closes the exchange. */
    public static void send(HttpExchange ex, int status, Object body) throws IOException {
        byte[] b = JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
    }
}
