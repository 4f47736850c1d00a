package dev.kastor.steps.cli;

import dev.kastor.oci.KastorException;

/** A wait ran out of time before the cluster reached the state asked for; exit code {@link ExitCode#TIMED_OUT}. */
public class TimedOutException extends KastorException {
    public TimedOutException(String message) {
        super(message);
    }
}
