package dev.kastor.bridge.flux.server;

import java.util.Optional;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Reading the JSON bodies of the flux endpoints (the API port bounds their size) and repeating bad values safely. */
final class Bodies {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private Bodies() {}

    /** The body as a JSON object, or empty when it is not one. */
    static Optional<JsonNode> object(byte[] body) {
        try {
            JsonNode node = JSON.readTree(body);
            return node != null && node.isObject() ? Optional.of(node) : Optional.empty();
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /** A string member, or null when it is missing or not a string. */
    static String text(JsonNode node, String field) {
        JsonNode v = node.path(field);
        return v.isString() ? v.asString() : null;
    }

    /** A caller's value for an error message: quoted, and cut short (a body may be 1 MiB). */
    static String echo(String value) {
        if (value == null) return "nothing";
        String v = value.length() > FluxServerDefaults.ECHO_LIMIT ? value.substring(0, FluxServerDefaults.ECHO_LIMIT) + "…" : value;
        return "'" + v + "'";
    }
}
