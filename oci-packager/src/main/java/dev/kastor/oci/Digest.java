package dev.kastor.oci;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** A content digest in the OCI form {@code sha256:<64 hex>}. Only sha256 is produced; it is what Flux verifies. */
public record Digest(String hex) {
    private static final Pattern SHA256 = Pattern.compile("sha256:([0-9a-f]{64})");

    public Digest {
        if (hex == null || hex.length() != 64 || !hex.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            throw new IllegalArgumentException("not a sha256 hex digest: " + hex);
        }
    }

    /** Parses {@code sha256:<hex>}; the message says what a valid digest looks like. */
    public static Digest parse(String text) {
        var m = SHA256.matcher(text == null ? "" : text);
        if (!m.matches()) {
            throw new InvalidInputException("'" + text + "' is not a digest: expected sha256: followed by 64 lowercase hex digits");
        }
        return new Digest(m.group(1));
    }

    /**
     * Whether {@code digest} ({@code sha256:<hex>}) starts with what a person typed to pick it ({@code --to}): a digest
     * or a prefix of one, with or without {@code sha256:}.
     */
    public static boolean startsWith(String digest, String typed) {
        return digest.startsWith(typed.startsWith("sha256:") ? typed : "sha256:" + typed);
    }

    public static boolean looksLikeDigest(String text) {
        return text != null && SHA256.matcher(text).matches();
    }

    public static Digest of(byte[] content) {
        return new Digest(HexFormat.of().formatHex(sha256().digest(content)));
    }

    public static Digest of(MessageDigest finished) {
        return new Digest(HexFormat.of().formatHex(finished.digest()));
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** The first 12 hex digits, as registries and Docker show them. */
    public String shortForm() {
        return hex.substring(0, 12);
    }

    @Override
    public String toString() {
        return "sha256:" + hex;
    }
}
