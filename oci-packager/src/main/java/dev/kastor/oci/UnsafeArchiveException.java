package dev.kastor.oci;

/** An archive entry would escape the target directory, is a link that escapes, or exceeds the size limit. */
public class UnsafeArchiveException extends KastorException {
    public UnsafeArchiveException(String message) {
        super(message);
    }
}
