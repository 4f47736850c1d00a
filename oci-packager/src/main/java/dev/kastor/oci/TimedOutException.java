package dev.kastor.oci;

/**
 * A wait ran out of time before what it waited for happened (a rollout, a Flux reconciliation): nothing failed, it
 * was not done yet. The CLI exits 4 for it, apart from failures (1) and usage errors (2).
 */
public class TimedOutException extends KastorException {
    public TimedOutException(String message) {
        super(message);
    }
}
