package dev.kastor.steps.cli;

import dev.kastor.oci.UsageException;
import java.util.Map;
import java.util.Stack;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine;

/**
 * For options whose value a job usually takes from the packaging job's dotenv report ({@code --digest
 * $KASTOR_ARTIFACT_DIGEST}, {@code --url $KASTOR_ARTIFACT_URL}): when that report is missing the variable is empty,
 * the shell drops the word, and picocli would say "Expected parameter for option '--digest' but found '--reconcile'".
 * This says the value is empty and where it comes from instead, for an empty word ({@code --digest ""},
 * {@code --digest=}) too. Declared on the option: {@code @Option(..., preprocessor = FromDotenv.class)}.
 */
public final class FromDotenv implements CommandLine.IParameterPreprocessor {
    /** The variable of the dotenv report each such option's value comes from. */
    private static final Map<String, String> VARIABLES = Map.of(
            "--digest", "KASTOR_ARTIFACT_DIGEST",
            "--url", "KASTOR_ARTIFACT_URL");

    @Override
    public boolean preprocess(Stack<String> args, CommandSpec command, ArgSpec arg, Map<String, Object> info) {
        String option = ((OptionSpec) arg).longestName();
        boolean attached = !" ".equals(info.get("separator")); // --digest=VALUE: whatever follows '=' is the value
        String why;
        if (args.isEmpty()) {
            why = option + " is empty (nothing follows it)";
        } else if (args.peek().isEmpty()) {
            why = option + " is empty";
        } else if (!attached && args.peek().startsWith("-")) {
            why = option + " is empty (the word after it is the option '" + args.peek() + "')";
        } else {
            return false; // a value: picocli goes on as usual
        }
        throw new CommandLine.ParameterException(command.commandLine(), UsageException.emptyFromDotenv(why, variableOf(option)));
    }

    private static String variableOf(String option) {
        String variable = VARIABLES.get(option);
        if (variable == null) throw new IllegalStateException(option + " is declared FromDotenv but has no dotenv variable here");
        return variable;
    }
}
