package dev.kastor.bridge.statuspage.server;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The status page's sign-ins, in this KAS's memory. A session's id (the cookie) and its CSRF token are 256 random bits
 * each. The map is keyed by the id's SHA-256, so neither a heap dump nor a log line ever holds a usable id; a lookup
 * by a forged or expired id finds nothing. A person's personal access token stays here, server side, to ask again
 * which agents they may see: it never reaches the cookie, the page or a log.
 */
final class Sessions {
    /** Who signed in: an operator (every agent) or a GitLab user (the agents their {@code user_access} admits). */
    sealed interface Who {
        String describe();
    }

    record Operator() implements Who {
        @Override
        public String describe() {
            return "operator";
        }
    }

    record User(long userId, String username, String personalAccessToken) implements Who {
        @Override
        public String describe() {
            return "GitLab user " + username;
        }

        @Override
        public String toString() {
            return "User[userId=" + userId + ", username=" + username + "]";
        }
    }

    /** One sign-in; {@code expires} is fixed at sign-in. */
    record Session(Who who, String csrfToken, Instant expires) {
        @Override
        public String toString() {
            return "Session[who=" + who + ", expires=" + expires + "]";
        }
    }

    /** A new session's cookie value and the session itself. */
    record Started(String id, Session session) {
        @Override
        public String toString() {
            return "Started[" + session + "]";
        }
    }

    private final SecureRandom random = new SecureRandom();
    private final Map<String, Session> byIdHash = new ConcurrentHashMap<>();
    private final Clock clock;
    private final Duration lifetime;
    private final int max;

    Sessions(Clock clock, Duration lifetime, int max) {
        this.clock = clock;
        this.lifetime = lifetime;
        this.max = max;
    }

    Duration lifetime() {
        return lifetime;
    }

    /** A new session for {@code who}; empty when {@code max} sessions are live already. */
    Optional<Started> start(Who who) {
        dropExpired();
        if (byIdHash.size() >= max) return Optional.empty();
        String id = token();
        var session = new Session(who, token(), clock.instant().plus(lifetime));
        byIdHash.put(hash(id), session);
        return Optional.of(new Started(id, session));
    }

    /** The live session of a cookie value, if any. */
    Optional<Session> find(String id) {
        if (id == null || id.isEmpty() || id.length() > 100) return Optional.empty();
        String key = hash(id);
        Session s = byIdHash.get(key);
        if (s == null) return Optional.empty();
        if (!clock.instant().isBefore(s.expires())) {
            byIdHash.remove(key, s);
            return Optional.empty();
        }
        return Optional.of(s);
    }

    void end(String id) {
        if (id != null) byIdHash.remove(hash(id));
    }

    int live() {
        dropExpired();
        return byIdHash.size();
    }

    /** Whether {@code presented} is the session's CSRF token, compared in constant time. */
    static boolean csrfMatches(Session session, String presented) {
        return presented != null && MessageDigest.isEqual(presented.getBytes(StandardCharsets.US_ASCII),
                session.csrfToken().getBytes(StandardCharsets.US_ASCII));
    }

    private void dropExpired() {
        Instant now = clock.instant();
        byIdHash.values().removeIf(s -> !now.isBefore(s.expires()));
    }

    private String token() {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static String hash(String id) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(id.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
    }
}
