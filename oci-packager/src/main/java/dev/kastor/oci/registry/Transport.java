package dev.kastor.oci.registry;

import dev.kastor.oci.Causes;
import dev.kastor.oci.InvalidInputException;
import dev.kastor.oci.auth.ResolvedCredentials;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;
import land.oras.ContainerRef;
import land.oras.auth.AuthProvider;
import land.oras.auth.HttpClient;
import land.oras.auth.NoAuthProvider;
import land.oras.auth.Scope;
import land.oras.auth.Scopes;
import land.oras.auth.UsernamePasswordProvider;
import land.oras.exception.OrasException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * One registry host over oras-java's {@link HttpClient}, which does the basic and bearer-token challenge flows and
 * the TLS setup. This class does single attempts and turns every answer Kastor cannot proceed with into an
 * exception a user can act on; {@link Retry} decides about repeating them.
 */
final class Transport {
    /** What an operation is, for messages: "registry H refused push to bars/app: …". */
    record Op(String verb, String repository, boolean push) {
        static Op push(String repository) {
            return new Op("push to", repository, true);
        }

        static Op pull(String repository) {
            return new Op("pull from", repository, false);
        }
    }

    /** An answer with its body read (small bodies only: manifests, tag lists, errors). */
    record Response(int status, Map<String, String> headers, byte[] body) {
        Response {
            var insensitive = new TreeMap<String, String>(String.CASE_INSENSITIVE_ORDER);
            insensitive.putAll(headers);
            headers = insensitive;
        }

        String header(String name) {
            return headers.get(name);
        }
    }

    /** An answer whose body is still a stream (blob downloads): the caller closes it. */
    record Streamed(int status, Map<String, String> headers, InputStream body) {}

    private static final int MAX_ERROR_BODY = 64 * 1024;
    private static final int MAX_SMALL_BODY = 16 * 1024 * 1024;

    private final String host;
    private final URI base;
    private final RegistryOptions options;
    private final HttpClient http;
    private final AuthProvider auth;

    Transport(String host, RegistryOptions options) {
        this.host = host;
        this.options = options;
        this.base = URI.create((options.insecure() ? "http://" : "https://") + host + "/");
        var builder = HttpClient.Builder.builder().withTimeout((int) Math.max(1, options.timeout().toSeconds()));
        if (options.caFile() != null) {
            builder.withCaFile(options.caFile());
        } else {
            TlsOnFirstUse.installInto(builder);
        }
        try {
            this.http = builder.build();
        } catch (OrasException e) {
            throw new InvalidInputException("cannot use CA file " + options.caFile()
                    + " for registry " + host + ": it must hold PEM certificates (" + Causes.describe(e) + ")", e);
        }
        ResolvedCredentials creds = options.credentials();
        this.auth = creds.isAnonymous() ? new NoAuthProvider()
                : new UsernamePasswordProvider(creds.credentials().username(), creds.credentials().password());
    }

    String host() {
        return host;
    }

    RegistryOptions options() {
        return options;
    }

    /** {@code /v2/<path>} against the registry; also resolves a (possibly relative) Location the registry gave. */
    URI resolve(String pathOrLocation) {
        return base.resolve(pathOrLocation);
    }

    /** Adds a query parameter to a registry-given upload URL, which may already carry its own state parameters. */
    static URI withQuery(URI uri, String name, String value) {
        String s = uri.toString();
        String sep = uri.getRawQuery() == null ? "?" : "&";
        return URI.create(s + sep + name + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8));
    }

    /**
     * The scopes oras caches a token under must be exactly what the registry's challenge will grant: oras adds pull
     * for GET/HEAD and push for POST/PUT/PATCH. Asking for pull,push on a HEAD would cache a pull-only token under
     * the pull,push key; the next upload would then present it to the token realm instead of the credentials.
     */
    private Scopes scopes(Op op, boolean write) {
        ContainerRef ref = ContainerRef.parse(host + "/" + op.repository());
        return write ? Scopes.of(ref, Scope.PULL) : Scopes.of(ref);
    }

    Response head(Op op, URI uri, Map<String, String> headers) {
        return text(op, w -> http.head(uri, headers, scopes(op, false), auth));
    }

    Response post(Op op, URI uri, Map<String, String> headers) {
        return text(op, w -> http.post(uri, new byte[0], headers, scopes(op, true), auth));
    }

    Response put(Op op, URI uri, byte[] body, Map<String, String> headers) {
        return text(op, w -> http.put(uri, body, headers, scopes(op, true), auth));
    }

    Response putStream(Op op, URI uri, long size, Supplier<InputStream> body, Map<String, String> headers) {
        return text(op, w -> http.upload(uri, size, headers, () -> w.watch(body.get()), scopes(op, true), auth));
    }

    Response patchStream(Op op, URI uri, long size, Supplier<InputStream> body, Map<String, String> headers) {
        return text(op, w -> http.patch(uri, size, headers, () -> w.watch(body.get()), scopes(op, true), auth));
    }

    /** Bounds a body read that happens after the request returned (downloads): see {@link IdleWatchdog}. */
    IdleWatchdog watchdog() {
        return new IdleWatchdog(options.timeout());
    }

    /** What to throw when a watchdog cut a silent exchange: worth another attempt, like a dropped connection. */
    Retryable silence(Throwable cause) {
        return new Retryable("no data from " + base + " for " + options.timeout().toSeconds() + " s (raise it with --registry-timeout)", 0, null, cause);
    }

    /** GET with the body as exact bytes: oras' String variant would decode and re-encode, which a digest cannot afford. */
    Response get(Op op, URI uri, Map<String, String> headers) {
        Streamed s = stream(op, uri, headers);
        IdleWatchdog w = watchdog();
        try (w; InputStream in = w.watch(s.body())) {
            byte[] body = in == null ? new byte[0] : in.readNBytes(MAX_SMALL_BODY + 1);
            if (body.length > MAX_SMALL_BODY) {
                // Manifests and tag lists are small; an endless body is a broken or hostile server, not data.
                throw new RegistryException("registry " + host + " answered " + uri.getPath() + " with more than "
                        + MAX_SMALL_BODY / (1024 * 1024) + " MiB, more than any manifest or tag list", s.status());
            }
            return new Response(s.status(), s.headers(), body);
        } catch (IOException e) {
            if (w.fired()) {
                throw silence(e);
            }
            throw new Retryable("reading the answer failed: " + Causes.describe(e), 0, null, e);
        }
    }

    Streamed stream(Op op, URI uri, Map<String, String> headers) {
        HttpClient.ResponseWrapper<InputStream> r = call(op, w -> http.download(uri, headers, scopes(op, false), auth));
        return new Streamed(r.statusCode(), new Response(r.statusCode(), r.headers(), new byte[0]).headers(), r.response());
    }

    private Response text(Op op, Function<IdleWatchdog, HttpClient.ResponseWrapper<String>> request) {
        HttpClient.ResponseWrapper<String> r = call(op, request);
        String body = r.response();
        return new Response(r.statusCode(), r.headers(), body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8));
    }

    private <T> T call(Op op, Function<IdleWatchdog, T> request) {
        IdleWatchdog watchdog = watchdog();
        try (watchdog) {
            return request.apply(watchdog);
        } catch (OrasException e) {
            if (watchdog.fired()) {
                throw silence(e);
            }
            int status = e.getStatusCode();
            if (status == 401 || status == 403) {
                // oras throws these when the challenge flow itself failed (wrong password at the token realm,
                // or a Basic challenge it does not answer): same meaning as a 401 from the registry.
                throw unauthorized(op, status);
            }
            if (status >= 500 || status == 429) {
                throw new Retryable(status + " from the token service", status, null, e);
            }
            SSLException tls = causeOf(e, SSLException.class);
            if (tls != null) {
                throw RegistryException.tls(host, tls, options.caFile());
            }
            if (causeOf(e, UnresolvedAddressException.class) != null
                    || causeOf(e, UnknownHostException.class) != null) {
                // A typo in the reference, not a registry under load: retrying with backoff only delays the answer.
                throw new RegistryException("cannot resolve registry host " + host + ": check the host in the reference"
                        + " (oci://HOST/REPO:TAG) and the job's DNS", 0, e);
            }
            IOException io = causeOf(e, IOException.class);
            if (io != null) {
                String what = io instanceof ConnectException ? "cannot connect to " + base : io.getClass().getSimpleName()
                        + (io.getMessage() == null ? "" : ": " + io.getMessage());
                throw new Retryable(what, 0, null, io);
            }
            throw new RegistryException("registry " + host + " could not be used to " + op.verb() + " " + op.repository()
                    + ": " + Causes.describe(e), status < 0 ? 0 : status, e);
        }
    }

    private static <X extends Throwable> X causeOf(Throwable t, Class<X> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
        }
        return null;
    }

    /**
     * Throws for anything but the expected statuses: 401/403 {@link RegistryException.Unauthorized}, 404
     * {@link RegistryException.NotFound}, 429/5xx {@link Retryable}, other 4xx {@link RegistryException.Refused}.
     */
    Response expect(Op op, String what, Response r, int... expected) {
        for (int e : expected) {
            if (r.status() == e) {
                return r;
            }
        }
        throw failure(op, what, r.status(), r.headers(), r.body());
    }

    RuntimeException failure(Op op, String what, int status, Map<String, String> headers, byte[] body) {
        if (status == 401 || status == 403) {
            return unauthorized(op, status);
        }
        if (status == 404) {
            return new RegistryException.NotFound("registry " + host + " has no " + what + " in " + op.repository()
                    + errorDetail(body) + ": check the repository and the tag or digest");
        }
        if (status == 429 || status >= 500) {
            String retryAfter = new Response(status, headers, new byte[0]).header("Retry-After");
            return new Retryable(status + statusText(status) + errorDetail(body), status, Retry.parseRetryAfter(retryAfter), null);
        }
        return new RegistryException.Refused("registry " + host + " refused " + op.verb() + " " + op.repository() + " ("
                + what + "): " + status + statusText(status) + errorDetail(body), status);
    }

    RegistryException.Unauthorized unauthorized(Op op, int status) {
        ResolvedCredentials creds = options.credentials();
        String hint = creds.isAnonymous()
                ? creds.missingHint()
                : "the credentials of user '" + creds.credentials().username() + "' from " + creds.source()
                        + " were rejected or lack " + (op.push() ? "push" : "pull") + " access to " + op.repository()
                        + ": check them or give others with --creds";
        return new RegistryException.Unauthorized("registry " + host + " refused " + op.verb() + " " + op.repository() + ": "
                + status + statusText(status) + " (" + hint + ")", status);
    }

    /** The registry's JSON errors, e.g. " [MANIFEST_INVALID: manifest invalid]"; never echoes request headers. */
    static String errorDetail(byte[] body) {
        if (body == null || body.length == 0 || body.length > MAX_ERROR_BODY) {
            return "";
        }
        try {
            JsonNode errors = ErrorJson.MAPPER.readTree(body).path("errors");
            if (!errors.isArray() || errors.isEmpty()) {
                return "";
            }
            var sb = new StringBuilder(" [");
            for (JsonNode err : errors) {
                if (sb.length() > 2) {
                    sb.append("; ");
                }
                sb.append(err.path("code").asString("")).append(": ").append(err.path("message").asString(""));
                JsonNode detail = err.path("detail");
                if (!detail.isMissingNode() && !detail.isNull()) {
                    String d = detail.isString() ? detail.asString() : detail.toString();
                    sb.append(" (").append(d.length() > 200 ? d.substring(0, 200) + "…" : d).append(')');
                }
            }
            return sb.append(']').toString();
        } catch (RuntimeException notJson) {
            return "";
        }
    }

    static String errorCodes(byte[] body) {
        return errorDetail(body);
    }

    static String statusText(int status) {
        return switch (status) {
            case 400 -> " Bad Request";
            case 401 -> " Unauthorized";
            case 403 -> " Forbidden";
            case 404 -> " Not Found";
            case 405 -> " Method Not Allowed";
            case 409 -> " Conflict";
            case 413 -> " Payload Too Large";
            case 415 -> " Unsupported Media Type";
            case 416 -> " Range Not Satisfiable";
            case 429 -> " Too Many Requests";
            case 500 -> " Internal Server Error";
            case 502 -> " Bad Gateway";
            case 503 -> " Service Unavailable";
            case 504 -> " Gateway Timeout";
            default -> "";
        };
    }

    /** Made on first use: only a registry's error answer is read as JSON here, and a push that succeeds has none. */
    private static final class ErrorJson {
        static final JsonMapper MAPPER = JsonMapper.builder().build();
    }
}
