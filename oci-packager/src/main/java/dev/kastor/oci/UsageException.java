package dev.kastor.oci;

/**
 * The way the step was called is wrong, not the content it works on: an option or argument left empty, an
 * environment variable the step reads holding something it cannot use. The CLI exits 2 for it, as for any usage error.
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
        return what + ": it usually comes from $" + variable + ", which the packaging job writes with"
                + " 'kastor artifact push --dotenv artifact.env' and hands on with 'artifacts: reports: dotenv: artifact.env';"
                + " check that that job ran and succeeded and that this job gets its report (needs: or dependencies:)";
    }
}
