package dev.kastor.oci.auth;

/**
 * Credentials for one registry host and where they came from, so that an error can name the source
 * ({@code --creds}, {@code CI_REGISTRY_USER}, {@code DOCKER_AUTH_CONFIG}, {@code ~/.docker/config.json},
 * {@code docker-credential-<helper>}, {@code none}) without naming the secret.
 *
 * @param credentials the credentials, or {@code null} for anonymous access
 * @param source human-readable origin, never the secret
 */
public record ResolvedCredentials(Credentials credentials, String source) {
    public static final String NONE = "none";

    public static ResolvedCredentials anonymous() {
        return new ResolvedCredentials(null, NONE);
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
