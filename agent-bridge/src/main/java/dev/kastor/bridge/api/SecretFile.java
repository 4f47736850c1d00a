package dev.kastor.bridge.api;

import dev.kastor.bridge.observability.Causes;
import dev.kastor.bridge.observability.JsonLog;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;

/**
 * A shared secret an API endpoint's caller must present (a webhook's token), kept in a file the KAS config names by
 * {@code key}. The file is read at every check, so a rotated secret is taken without a restart; an unreadable or
 * empty file matches nothing. Neither the secret nor what was presented is ever logged.
 */
public final class SecretFile {
    private final Path file;
    private final String key;
    private final JsonLog log;

    public SecretFile(Path file, String key, JsonLog log) {
        this.file = file;
        this.key = key;
        this.log = log;
    }

    /** {@code presented} equals the file's content (surrounding blanks stripped), compared in constant time. */
    public boolean matches(String presented) {
        return matches(presented, "");
    }

    /**
     * {@code presented} equals {@code prefix} followed by the file's content, e.g. {@code "Bearer "} for an
     * {@code Authorization} header. Both sides are hashed first, so neither content nor length leaks through timing.
     */
    public boolean matches(String presented, String prefix) {
        if (presented == null) return false;
        String secret;
        try {
            secret = Files.readString(file).strip();
        } catch (IOException e) {
            log.warn("cannot read " + key, Map.of("file", file.toString(), "error", Causes.describe(e)));
            return false;
        }
        try {
            var sha = MessageDigest.getInstance("SHA-256");
            byte[] a = sha.digest(presented.getBytes(StandardCharsets.UTF_8));
            byte[] b = sha.digest((prefix + secret).getBytes(StandardCharsets.UTF_8));
            return !secret.isEmpty() && MessageDigest.isEqual(a, b);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
