package dev.kastor.bridge.statuspage.server;

import dev.kastor.bridge.api.ApiRequest;
import dev.kastor.bridge.api.ApiResponse;
import dev.kastor.bridge.statuspage.StatusPageDefaults;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/**
 * What the status page reads from a request and the answers every endpoint shares: the session cookie, form fields,
 * the CSRF token, whether a POST comes from the page itself (its {@code Origin}), and whether a browser asked.
 */
final class PageRequests {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private PageRequests() {}

    /**
     * A POST from another site's page is refused: the cookie is SameSite=Strict already, and this also stops a page
     * elsewhere from signing a browser in to a session of its choosing. Browsers send Origin with every POST; a
     * client that sends none (curl, a script) is not a browser another site can steer.
     */
    static boolean sameOrigin(ApiRequest request) {
        String origin = request.header("Origin");
        if (origin == null) return true;
        String host = request.header("Host");
        try {
            var o = java.net.URI.create(origin);
            String authority = o.getPort() < 0 ? o.getHost() : o.getHost() + ":" + o.getPort();
            return host != null && authority != null && authority.equalsIgnoreCase(host);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    static ApiResponse crossOrigin() {
        return ApiResponse.message(403, "a sign-in or an action must come from the status page itself (the request's Origin is another site)");
    }

    static boolean wantsHtml(ApiRequest request) {
        String accept = request.header("Accept");
        return accept != null && accept.contains("text/html");
    }

    static String messageOf(ApiResponse r) {
        return JSON.readTree(r.body()).path("message").asString();
    }

    static ApiResponse notSignedIn() {
        return ApiResponse.message(401, "not signed in, or the session has ended: sign in at " + StatusPageDefaults.PAGE_PATH)
                .withHeader("Cache-Control", "no-store");
    }

    static ApiResponse csrfRefused() {
        return ApiResponse.message(403, "the request lacks this session's CSRF token (header " + StatusPageDefaults.CSRF_HEADER
                + " or form field " + StatusPageDefaults.CSRF_FIELD + "): reload the page and try again");
    }

    static boolean csrf(ApiRequest request, Sessions.Session session) {
        String presented = request.header(StatusPageDefaults.CSRF_HEADER);
        if (presented == null) presented = form(request).get(StatusPageDefaults.CSRF_FIELD);
        return Sessions.csrfMatches(session, presented);
    }

    /** The session cookie: never readable by scripts, never sent over plain HTTP to anything but loopback, never cross-site. */
    static String cookie(String value, Duration maxAge) {
        return StatusPageDefaults.COOKIE + "=" + value + "; Path=/; Max-Age=" + maxAge.toSeconds() + "; HttpOnly; Secure; SameSite=Strict";
    }

    static String cookieValue(ApiRequest request) {
        String header = request.header("Cookie");
        if (header == null) return null;
        for (String part : header.split(";")) {
            String p = part.strip();
            if (p.startsWith(StatusPageDefaults.COOKIE + "=")) return p.substring(StatusPageDefaults.COOKIE.length() + 1);
        }
        return null;
    }

    /** An {@code application/x-www-form-urlencoded} body; a body that is not one gives no fields. */
    static Map<String, String> form(ApiRequest request) {
        String type = request.header("Content-Type");
        if (type == null || !type.toLowerCase(java.util.Locale.ROOT).startsWith("application/x-www-form-urlencoded")) return Map.of();
        var fields = new HashMap<String, String>();
        for (String pair : new String(request.body(), StandardCharsets.UTF_8).split("&")) {
            int eq = pair.indexOf('=');
            if (eq <= 0) continue;
            try {
                fields.putIfAbsent(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            } catch (IllegalArgumentException malformed) {
                // a malformed escape: that field is left out
            }
        }
        return fields;
    }
}
