package dev.kastor.steps.cli;

import dev.kastor.oci.InvalidInputException;

/**
 * A value the command line (or the variable standing for an option) gave that cannot be right whatever the world
 * holds: a malformed {@code --entrypoint}, {@code --expose abc}, an unknown platform, options that do not go together.
 * A usage error like picocli's own, exit 2 ({@link Errors}); input that is well-formed but wrong where it points (a
 * missing file, an image the registry lacks) stays an {@link InvalidInputException} of the step, exit 1. Thrown where
 * the value is checked, often below the command, which has no picocli {@code CommandLine} to hand to a
 * {@code ParameterException}.
 */
public class UsageException extends InvalidInputException {
    public UsageException(String message) {
        super(message);
    }

    public UsageException(String message, Throwable cause) {
        super(message, cause);
    }
}
