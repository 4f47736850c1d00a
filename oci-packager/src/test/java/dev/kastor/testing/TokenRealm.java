package dev.kastor.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Signature;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The token service of a registry with token auth (what GitLab and Harbor run): {@code GET /token?service=…&scope=…}
 * with Basic credentials answers an RS256 JWT with an {@code x5c} header, granting exactly the scopes asked for.
 * Wrong or missing credentials get 401. The registry trusts {@link #certificatePem()} as {@code rootcertbundle}.
 */
public final class TokenRealm implements AutoCloseable {
    public static final String SERVICE = "kastor-test-registry";
    public static final String ISSUER = "kastor-test-realm";

    private final HttpServer server;
    private final SelfSignedCert cert;
    private final String username;
    private final String password;
    private final Path dir;
    private final AtomicInteger issued = new AtomicInteger();
    private final List<String> scopesAsked = new CopyOnWriteArrayList<>();

    public TokenRealm(String username, String password) {
        this.username = username;
        this.password = password;
        try {
            this.dir = Files.createTempDirectory("kastor-realm");
            this.cert = SelfSignedCert.create(dir, "realm");
            this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the token realm", e);
        }
        server.createContext("/token", this::token);
        server.start();
    }

    public String realmUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/token";
    }

    public Path certificatePem() {
        return cert.certPem();
    }

    /** How many tokens were handed out: shows that a client went through the token flow. */
    public int tokensIssued() {
        return issued.get();
    }

    public List<String> scopesAsked() {
        return List.copyOf(scopesAsked);
    }

    private void token(HttpExchange exchange) throws IOException {
        try (exchange) {
            String auth = exchange.getRequestHeaders().getFirst("Authorization");
            String expected = "Basic " + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
            if (!expected.equals(auth)) {
                exchange.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"kastor-test-realm\"");
                byte[] body = "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}".getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.sendResponseHeaders(401, body.length);
                exchange.getResponseBody().write(body);
                return;
            }
            String service = SERVICE;
            List<String> scopes = new ArrayList<>();
            String query = exchange.getRequestURI().getRawQuery();
            if (query != null) {
                for (String pair : query.split("&")) {
                    int eq = pair.indexOf('=');
                    String name = eq < 0 ? pair : pair.substring(0, eq);
                    String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                    if (name.equals("scope")) {
                        for (String s : value.split(" ")) {
                            if (!s.isBlank()) {
                                scopes.add(s);
                            }
                        }
                    } else if (name.equals("service")) {
                        service = value;
                    }
                }
            }
            scopesAsked.addAll(scopes);
            String jwt = sign(service, scopes);
            issued.incrementAndGet();
            byte[] body = ("{\"token\":\"" + jwt + "\",\"access_token\":\"" + jwt + "\",\"expires_in\":300,\"issued_at\":\""
                    + Instant.now() + "\"}").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
        }
    }

    private String sign(String service, List<String> scopes) {
        try {
            String x5c = Base64.getEncoder().encodeToString(cert.certificate().getEncoded());
            String header = "{\"typ\":\"JWT\",\"alg\":\"RS256\",\"x5c\":[\"" + x5c + "\"]}";
            var access = new StringBuilder("[");
            for (String scope : scopes) {
                // repository:<name>:<actions>; names have no colon, actions are comma-separated
                String[] parts = scope.split(":");
                if (parts.length != 3) {
                    continue;
                }
                if (access.length() > 1) {
                    access.append(',');
                }
                access.append("{\"type\":\"").append(parts[0]).append("\",\"name\":\"").append(parts[1]).append("\",\"actions\":[");
                String[] actions = parts[2].split(",");
                for (int i = 0; i < actions.length; i++) {
                    access.append(i == 0 ? "" : ",").append('"').append(actions[i]).append('"');
                }
                access.append("]}");
            }
            access.append(']');
            long now = Instant.now().getEpochSecond();
            String claims = "{\"iss\":\"" + ISSUER + "\",\"sub\":\"" + username + "\",\"aud\":\"" + service + "\",\"exp\":" + (now + 300)
                    + ",\"nbf\":" + (now - 10) + ",\"iat\":" + now + ",\"jti\":\"" + UUID.randomUUID() + "\",\"access\":" + access + "}";
            var b64 = Base64.getUrlEncoder().withoutPadding();
            String signingInput = b64.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "."
                    + b64.encodeToString(claims.getBytes(StandardCharsets.UTF_8));
            Signature rs256 = Signature.getInstance("SHA256withRSA");
            rs256.initSign(cert.privateKey());
            rs256.update(signingInput.getBytes(StandardCharsets.US_ASCII));
            return signingInput + "." + b64.encodeToString(rs256.sign());
        } catch (Exception e) {
            throw new IllegalStateException("cannot sign a token", e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        Programs.deleteTree(dir);
    }
}
