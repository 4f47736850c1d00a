package dev.kastor.oci.registry;

import dev.kastor.oci.KastorException;
import java.nio.file.Path;
import javax.net.ssl.SSLException;

/** A registry answered something Kastor cannot proceed with. Subclasses say which kind, so callers can react. */
public class RegistryException extends KastorException {
    private final int status;

    public RegistryException(String message, int status) {
        super(message);
        this.status = status;
    }

    public RegistryException(String message, int status, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    /**
     * No TLS session with the registry: a plain-HTTP registry, or a certificate no trusted CA signed. Not retried: it
     * fails the same way every time. Says what to pass for each case.
     */
    public static RegistryException tls(String host, SSLException cause, Path caFile) {
        String why = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        return new RegistryException("cannot establish TLS with registry " + host + ": " + why
                + (caFile == null
                        ? "; if the registry uses a private CA or a self-signed certificate, pass its PEM with --ca-file"
                        : "; check that --ca-file " + caFile + " holds the CA that signed the registry's certificate")
                + " (or --insecure-registry if it serves plain http)", 0, cause);
    }

    /** The HTTP status, or 0 when the registry could not be reached at all. */
    public int status() {
        return status;
    }

    /** 401/403: credentials missing, wrong, or without the needed scope. */
    public static final class Unauthorized extends RegistryException {
        public Unauthorized(String message, int status) {
            super(message, status);
        }
    }

    /** 404: repository, tag, manifest or blob does not exist. */
    public static final class NotFound extends RegistryException {
        public NotFound(String message) {
            super(message, 404);
        }
    }

    /** Other 4xx: the registry refuses this content (for instance a media type it does not accept). */
    public static final class Refused extends RegistryException {
        public Refused(String message, int status) {
            super(message, status);
        }
    }

    /** 429, 5xx or a broken connection that persisted through all retries. */
    public static final class Unavailable extends RegistryException {
        public Unavailable(String message, int status, Throwable cause) {
            super(message, status, cause);
        }
    }
}
