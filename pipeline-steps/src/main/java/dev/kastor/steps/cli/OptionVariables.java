package dev.kastor.steps.cli;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Every option of every {@code kastor} command is also an environment variable, so GitLab CI/CD variables configure a
 * pipeline's steps once: {@code --insecure-registry} is {@code KASTOR_INSECURE_REGISTRY} for every command, and
 * {@code KASTOR_ARTIFACT_PUSH_INSECURE_REGISTRY} ({@code KASTOR_<GROUP>_<VERB>_<OPTION>}) for {@code kastor artifact push}
 * alone. First match wins: the command line, the command's own variable, the general one, then the option's default
 * (which a command may still take from GitLab's {@code CI_*} variables). An empty variable is unset. Booleans are
 * true/false/yes/no/1/0 in any case; a repeatable option takes one value per line (and commas where it splits at
 * commas on the command line too). Positional parameters, {@code --help} and {@code --version} have no variable.
 *
 * <p>picocli asks this provider for the default of each option the command line does not set; the variables come
 * from the {@link Context}, so tests give their own.
 */
public final class OptionVariables implements CommandLine.IDefaultValueProvider {
    private static final String PREFIX = "KASTOR_";
    /**
     * General names that already mean something else, so the rule does not read them for the option they would name:
     * {@code KASTOR_CACHE_DIR} is the root of Kastor's caches (the image builder's base layers are in
     * {@code $KASTOR_CACHE_DIR/jib}); {@code kastor image build --cache-dir} is that jib cache itself, so its variable
     * is {@code KASTOR_IMAGE_BUILD_CACHE_DIR} only.
     */
    private static final Set<String> NOT_GENERAL = Set.of("KASTOR_CACHE_DIR");
    /** Options whose value is a secret: no message repeats a value a variable gave them. */
    private static final Set<String> SECRET = Set.of("--creds");

    /** The rule in general, in the root's help footer (which every command inherits). */
    public static final String RULE = "Every option is also a variable: --insecure-registry is KASTOR_INSECURE_REGISTRY, and"
            + " KASTOR_<GROUP>_<VERB>_<OPTION>";
    public static final String RULE_CONTINUED = "(e.g. KASTOR_ARTIFACT_PUSH_INSECURE_REGISTRY) for one command wins over it;"
            + " the command line wins over both.";

    private final Context ctx;

    public OptionVariables(Context ctx) {
        this.ctx = ctx;
    }

    /**
     * Makes every option of {@code cmd}'s tree a variable: the provider on the root (after the tree is built, so every
     * subcommand has it), typed flags that stay on whatever their variable says, repeatable values split at lines.
     */
    public static void install(CommandLine cmd, Context ctx) {
        cmd.setDefaultValueProvider(new OptionVariables(ctx));
        // A typed flag is true whatever its variable says: without toggling (from the initial false), picocli would
        // set a typed flag to the opposite of its default provider's value (picocli #712).
        cmd.setToggleBooleanFlags(true);
        cmd.setExecutionStrategy(parsed -> {
            splitLines(parsed); // repeatable options a variable set: one value per line
            return new CommandLine.RunLast().execute(parsed);
        });
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        if (!(arg instanceof OptionSpec option) || option.usageHelp() || option.versionHelp()) return null;
        String variable = variableSetFor(option);
        if (variable == null) return null;
        String value = ctx.env(variable);
        if (option.typeInfo().isBoolean()) return String.valueOf(bool(option, variable, value));
        // picocli expands ${...} and folds $$ in a default value; a variable's value is taken as it is.
        return option.command().interpolateVariables() ? value.replace("$", "$$") : value;
    }

    /** {@code KASTOR_} and the option's long name: {@code --insecure-registry} is {@code KASTOR_INSECURE_REGISTRY}. */
    public static String generalName(OptionSpec option) {
        return PREFIX + words(option.longestName());
    }

    /** The variable for one command only: {@code KASTOR_<GROUP>_<VERB>_<OPTION>}, e.g. {@code KASTOR_FLUX_WAIT_SOURCE}. */
    public static String qualifiedName(OptionSpec option) {
        var path = new ArrayDeque<String>();
        for (CommandSpec c = option.command(); c != null && c.parent() != null; c = c.parent()) path.push(words(c.name()));
        path.add(words(option.longestName()));
        return PREFIX + String.join("_", path);
    }

    private static String words(String name) {
        return name.replaceFirst("^-+", "").replace('-', '_').toUpperCase(Locale.ROOT);
    }

    /** The variables of an option, the one that wins first. */
    private static List<String> namesOf(OptionSpec option) {
        String general = generalName(option);
        String qualified = qualifiedName(option);
        return NOT_GENERAL.contains(general) || general.equals(qualified) ? List.of(qualified) : List.of(qualified, general);
    }

    /** The variable that sets this option, or null when none is set. */
    private String variableSetFor(OptionSpec option) {
        for (String name : namesOf(option)) if (ctx.env(name) != null) return name;
        return null;
    }

    private static boolean bool(OptionSpec option, String variable, String value) {
        return switch (value.strip().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "1" -> true;
            case "false", "no", "0" -> false;
            default -> throw new CommandLine.ParameterException(option.command().commandLine(),
                    variable + "=" + shown(option, value) + " is not a boolean: use true, false, yes, no, 1 or 0 (any case)");
        };
    }

    private static String shown(OptionSpec option, String value) {
        return SECRET.contains(option.longestName()) ? "(not shown)" : "'" + value + "'";
    }

    /** The provider of a command's tree, or null for a command run outside {@code kastor} (e.g. a test's own). */
    private static OptionVariables of(CommandSpec command) {
        return command != null && command.defaultValueProvider() instanceof OptionVariables v ? v : null;
    }

    /** The variable that gave this option its value in this run, or null: set on the command line, or left to its default. */
    private String setBy(OptionSpec option) {
        CommandLine.ParseResult parsed = option.command().commandLine().getParseResult();
        if (parsed != null && parsed.hasMatchedOption(option)) return null;
        return variableSetFor(option);
    }

    /**
     * Where a command's option got its value, for messages that say so: the option's name when it was typed (or when
     * the command runs outside {@code kastor}), else the variable that set it.
     */
    public static String origin(CommandSpec command, String optionName) {
        OptionVariables variables = of(command);
        OptionSpec option = variables == null ? null : command.findOption(optionName);
        String variable = option == null ? null : variables.setBy(option);
        return variable != null ? variable : optionName;
    }

    /**
     * Splits the values variables gave repeatable options into one value per line, blank lines dropped, each stripped.
     * picocli hands a default to a repeatable option as one value (split only at the option's own regex, e.g. the
     * commas of {@code --platform}); Kastor's repeatable options are lists of strings.
     */
    public static void splitLines(CommandLine.ParseResult parsed) {
        for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) {
            OptionVariables variables = of(p.commandSpec());
            if (variables == null) continue;
            for (OptionSpec option : p.commandSpec().options()) {
                if (!option.typeInfo().isCollection() || option.getValue() == null || variables.setBy(option) == null) continue;
                var lines = new ArrayList<String>();
                for (Object value : (Collection<?>) option.getValue()) {
                    for (String line : String.valueOf(value).split("\\R")) if (!line.isBlank()) lines.add(line.strip());
                }
                option.setValue(lines);
            }
        }
    }

    /**
     * A usage error as the user should read it: a bad value a variable gave is named by the variable (its value left
     * out when secret), a missing required option names its variables, and options the message mentions that a
     * variable set are named by it ({@link #attribute}).
     */
    public static String explain(CommandLine.ParameterException e) {
        CommandSpec command = e.getCommandLine().getCommandSpec();
        OptionVariables variables = of(command);
        if (variables == null) return e.getMessage();
        if (e instanceof CommandLine.MissingParameterException missing) {
            var names = new ArrayList<String>();
            for (ArgSpec arg : missing.getMissing()) if (arg instanceof OptionSpec o) names.add(String.join(" or ", namesOf(o)));
            return names.isEmpty() ? e.getMessage() : e.getMessage() + " (or set " + String.join("; ", names) + ")";
        }
        if (e.getArgSpec() instanceof OptionSpec option) {
            String variable = variables.setBy(option);
            String value = variable == null ? null : variables.ctx.env(variable);
            if (value != null && (e.getValue() == null || value.contains(e.getValue()))) {
                if (SECRET.contains(option.longestName())) return "Invalid value for variable " + variable + " (the value is not shown)";
                if (e.getCause() instanceof CommandLine.TypeConversionException t) return "Invalid value for variable " + variable + ": " + t.getMessage();
            }
        }
        return attribute(e.getMessage(), command);
    }

    /**
     * A step's message, with the options it mentions that a variable set (the user typed none of them) named by that
     * variable: a message that starts with the option is about it and starts with the variable instead
     * ({@code KASTOR_CREDS must be user:password}); elsewhere the variable is added after the message.
     */
    public static String attribute(String message, CommandSpec command) {
        OptionVariables variables = of(command);
        if (variables == null || message == null) return message;
        var notes = new ArrayList<String>();
        for (OptionSpec option : command.options()) {
            String name = option.longestName();
            var mention = Pattern.compile("(?<![\\w-])" + Pattern.quote(name) + "(?![\\w-])").matcher(message);
            if (!mention.find()) continue;
            String variable = variables.setBy(option);
            if (variable == null) continue;
            if (mention.start() == 0) message = variable + message.substring(name.length());
            else notes.add(name + " was set by " + variable);
        }
        return notes.isEmpty() ? message : message + " (" + String.join("; ", notes) + ")";
    }

    /**
     * Writes the rule with concrete names at the foot of the help of each command that has options (its shortest as
     * the example, so the line fits). Every command inherits the root's footer with the rule in general
     * ({@link #RULE}), which a group keeps and a command with options replaces.
     */
    public static void describeIn(CommandLine root) {
        for (CommandLine sub : root.getSubcommands().values()) {
            CommandSpec spec = sub.getCommandSpec();
            OptionSpec example = null;
            for (OptionSpec o : spec.options()) {
                boolean shorter = example == null || o.longestName().length() < example.longestName().length();
                if (!o.usageHelp() && !o.versionHelp() && !o.inherited() && shorter) example = o;
            }
            if (example != null && !spec.helpCommand()) {
                var parameters = new ArrayList<String>();
                for (var p : spec.positionalParameters()) if (!p.hidden()) parameters.add(p.paramLabel());
                var footer = new ArrayList<String>();
                for (String line : spec.usageMessage().footer()) {
                    if (!line.equals(RULE) && !line.equals(RULE_CONTINUED)) footer.add(line);
                }
                if (footer.isEmpty()) footer.add("");
                String rule = "Every option is also a variable: " + example.longestName() + " is " + generalName(example) + ",";
                String own = "or " + qualifiedName(example) + " for this command only (wins);";
                // picocli wraps at the help's width (120) wherever it falls: long names get a line break of their own
                if (rule.length() + own.length() < 119) {
                    footer.add(rule + " " + own);
                } else {
                    footer.add(rule);
                    footer.add(own);
                }
                footer.add("the command line wins over both. Booleans: true/false/yes/no/1/0; repeatable options: one value per line.");
                footer.add("Not variables: " + (parameters.isEmpty() ? "" : String.join(" ", parameters) + " (parameters), ") + "--help, --version.");
                spec.usageMessage().footer(footer.toArray(String[]::new));
            }
            describeIn(sub);
        }
    }
}
