package dev.kastor.oci;

/**
 * The way the step was called is wrong, not the content it works on: an option or argument left empty or malformed
 * whatever the world holds ({@code --entrypoint} that is no JSON array, {@code --expose abc}, options that do not go
 * together), an environment variable the step reads holding something it cannot use. The CLI exits 2 for it, as for
 * picocli's own usage errors; input that is well-formed but wrong where it points (a missing file, an image the
 * registry lacks) stays an {@link InvalidInputException} of the step, exit 1. Thrown where the value is checked, often
 * below the command, which has no picocli {@code CommandLine} to hand to a {@code ParameterException}.
 */
public class UsageException extends InvalidInputException {
    public UsageException(String message) {
        super(message);
    }

    public UsageException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * The message for {@code what} being empty when its value comes from a variable that the packaging job's dotenv
     * report sets ({@code KASTOR_ARTIFACT_DIGEST}, {@code KASTOR_ARTIFACT_URL}): a job without that report expands the
     * variable to nothing, and the shell drops the word.
     */
    public static String emptyFromDotenv(String what, String variable) {
        return emptyFromDotenv(what, variable, "the packaging job", "kastor artifact push", "artifact.env");
    }

    /** The same for a variable another job's dotenv report sets: {@code job} writes it with {@code command --dotenv file}. */
    public static String emptyFromDotenv(String what, String variable, String job, String command, String file) {
        return what + ": it usually comes from $" + variable + ", which " + job + " writes with"
                + " '" + command + " --dotenv " + file + "' and hands on with 'artifacts: reports: dotenv: " + file + "';"
                + " check that that job ran and succeeded and that this job gets its report (needs: or dependencies:)";
    }
}
