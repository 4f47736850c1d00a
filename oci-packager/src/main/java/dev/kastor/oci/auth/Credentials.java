package dev.kastor.oci.auth;

import dev.kastor.oci.InvalidInputException;

/** A registry user name and password (or token). {@link #toString()} masks the password: it is never printed. */
public record Credentials(String username, String password) {
    public Credentials {
        if (username == null || username.isEmpty()) {
            throw new InvalidInputException("registry credentials have an empty user name");
        }
        if (password == null) {
            throw new InvalidInputException("registry credentials for user '" + username + "' have no password");
        }
    }

    /** Parses {@code user:password} as given to {@code --creds}; the password may contain colons. */
    public static Credentials parse(String userColonPassword) {
        int colon = userColonPassword == null ? -1 : userColonPassword.indexOf(':');
        if (colon <= 0) {
            // The input may be a bare secret: do not echo it.
            throw new InvalidInputException("--creds must be user:password (split at the first colon), e.g. --creds ci-bot:$TOKEN");
        }
        return new Credentials(userColonPassword.substring(0, colon), userColonPassword.substring(colon + 1));
    }

    @Override
    public String toString() {
        return "Credentials[username=" + username + ", password=****]";
    }
}
