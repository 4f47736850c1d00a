package dev.kastor.bridge.api;

import java.util.Locale;
import java.util.Map;

/**
 * One request on KAS's API port, read whole (head and body) before an endpoint sees it.
 *
 * @param path    the path without its query, e.g. {@code /api/v1/job/agents}
 * @param headers header names in lower case, first value of each
 * @param client  the client's host, for logs
 */
public record ApiRequest(String method, String path, Map<String, String> headers, byte[] body, String client) {
    public ApiRequest {
        headers = Map.copyOf(headers);
    }

    /** The first value of a header (any case), or null. */
    public String header(String name) {
        return headers.get(name.toLowerCase(Locale.ROOT));
    }
}
