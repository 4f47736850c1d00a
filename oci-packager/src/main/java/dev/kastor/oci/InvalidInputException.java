package dev.kastor.oci;

/** The input is wrong (missing or empty directory, malformed reference, bad annotation): fix it and run again. */
public class InvalidInputException extends KastorException {
    public InvalidInputException(String message) {
        super(message);
    }

    public InvalidInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
