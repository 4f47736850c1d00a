package dev.kastor.oci.auth;

/**
 * Credentials for one registry host and where they came from, so that an error can name the source
 * ({@code --creds}, {@code CI_REGISTRY_USER}, {@code DOCKER_AUTH_CONFIG}, {@code ~/.docker/config.json},
 * {@code docker-credential-<helper>}, {@code none}) without naming the secret.
 *
 * @param credentials the credentials, or {@code null} for anonymous access
 * @param source human-readable origin, never the secret
 * @param missingHint for anonymous access, what the user can do when the registry wants credentials (the resolver knows
 *     why none were found, e.g. CI_REGISTRY_USER set for another host); {@code null} otherwise
 */
public record ResolvedCredentials(Credentials credentials, String source, String missingHint) {
    public static final String NONE = "none";
    /** What to do when nothing in particular explains the missing credentials. */
    public static final String DEFAULT_MISSING_HINT =
            "no credentials for this host: set CI_REGISTRY_USER/CI_REGISTRY_PASSWORD, DOCKER_AUTH_CONFIG or --creds";

    public ResolvedCredentials {
        if (credentials == null && missingHint == null) missingHint = DEFAULT_MISSING_HINT;
    }

    public ResolvedCredentials(Credentials credentials, String source) {
        this(credentials, source, null);
    }

    public static ResolvedCredentials anonymous() {
        return anonymous(DEFAULT_MISSING_HINT);
    }

    public static ResolvedCredentials anonymous(String missingHint) {
        return new ResolvedCredentials(null, NONE, missingHint);
    }

    public static ResolvedCredentials explicit(Credentials credentials) {
        return new ResolvedCredentials(credentials, "--creds");
    }

    public boolean isAnonymous() {
        return credentials == null;
    }

    @Override
    public String toString() {
        return isAnonymous() ? "anonymous (source: none)" : "user " + credentials.username() + " (source: " + source + ")";
    }
}
