package dev.kastor.bridge.statuspage.server;

import dev.kastor.bridge.api.ApiResponse;
import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.StringOutput;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The status page's HTML, rendered on the server from templates compiled into the jar (src/main/jte, HTML-escaped),
 * and its two static files, read from the jar once. Nothing is fetched from elsewhere, so the page works in an
 * air-gapped install, and the Content-Security-Policy lets the page load nothing but these.
 */
final class Pages {
    /** Sent with every page and file: no inline script, no other origin, no framing, no referrer to other sites. */
    static final Map<String, String> SECURITY_HEADERS = Map.of(
            "Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self';"
                    + " form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            "X-Content-Type-Options", "nosniff",
            // same-origin, not no-referrer: under no-referrer a browser sends "Origin: null" with the page's own form posts
            "Referrer-Policy", "same-origin",
            "X-Frame-Options", "DENY",
            "Cache-Control", "no-store");

    /** The static files' headers: the same, but kept, since their names change with their content. */
    private static final Map<String, String> STATIC_HEADERS = staticHeaders();

    private final TemplateEngine templates = TemplateEngine.createPrecompiled(ContentType.Html);
    private final byte[] script = resource("status.js");
    private final byte[] style = resource("status.css");
    private final String scriptPath = versioned("status", "js", script);
    private final String stylePath = versioned("status", "css", style);

    /** Where the script is served: its name holds its content's hash. */
    String scriptPath() {
        return scriptPath;
    }

    String stylePath() {
        return stylePath;
    }

    ApiResponse signIn(int status, String message) {
        var params = new java.util.HashMap<String, Object>();
        params.put("message", message);
        params.put("style", stylePath);
        return html(status, "statuspage/signin.jte", params);
    }

    ApiResponse page(String who, String csrfToken, List<AgentView> agents) {
        return html(200, "statuspage/page.jte", Map.of("who", who, "csrfToken", csrfToken, "agents", agents, "style", stylePath,
                "script", scriptPath));
    }

    /** The agents table's rows alone, rendered by the same template as the page's. */
    ApiResponse rows(String csrfToken, List<AgentView> agents) {
        return html(200, "statuspage/rows.jte", Map.of("csrfToken", csrfToken, "agents", agents));
    }

    ApiResponse script() {
        return file("text/javascript; charset=utf-8", script);
    }

    ApiResponse style() {
        return file("text/css; charset=utf-8", style);
    }

    private ApiResponse html(int status, String template, Map<String, Object> params) {
        var out = new StringOutput();
        templates.render(template, params, out);
        return new ApiResponse(status, "text/html; charset=utf-8", SECURITY_HEADERS, out.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static ApiResponse file(String type, byte[] bytes) {
        return new ApiResponse(200, type, STATIC_HEADERS, bytes);
    }

    private static Map<String, String> staticHeaders() {
        var h = new java.util.HashMap<>(SECURITY_HEADERS);
        h.put("Cache-Control", "public, max-age=31536000, immutable");
        return Map.copyOf(h);
    }

    /** {@code /status/static/<name>.<first 12 hex of its SHA-256>.<extension>}. */
    private static String versioned(String name, String extension, byte[] content) {
        try {
            String hash = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(content)).substring(0, 12);
            return dev.kastor.bridge.statuspage.StatusPageDefaults.STATIC_PREFIX + name + "." + hash + "." + extension;
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }

    private static byte[] resource(String name) {
        try (InputStream in = Pages.class.getResourceAsStream("/statuspage/" + name)) {
            if (in == null) throw new IllegalStateException("the status page's " + name + " is missing from the jar");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the status page's " + name + " from the jar", e);
        }
    }
}
