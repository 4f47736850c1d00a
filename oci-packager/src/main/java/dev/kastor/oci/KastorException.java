package dev.kastor.oci;

/**
 * A failure the user can act on. The message says what failed, on what, and what to do; it never contains a
 * credential. The CLI maps each subclass to an exit code in one place.
 */
public class KastorException extends RuntimeException {
    public KastorException(String message) {
        super(message);
    }

    public KastorException(String message, Throwable cause) {
        super(message, cause);
    }
}
