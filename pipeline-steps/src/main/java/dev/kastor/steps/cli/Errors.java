package dev.kastor.steps.cli;

import dev.kastor.oci.KastorException;
import dev.kastor.oci.TimedOutException;
import dev.kastor.oci.UsageException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;

/** The one place that turns a failure into a message on stderr and an exit code. */
public final class Errors implements CommandLine.IExecutionExceptionHandler, CommandLine.IParameterExceptionHandler {
    private final Context ctx;

    public Errors(Context ctx) {
        this.ctx = ctx;
    }

    @Override
    public int handleExecutionException(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
        if (e instanceof UsageException) return usage(cmd, OptionVariables.attribute(e.getMessage(), cmd.getCommandSpec()), null);
        String name = cmd.getCommandSpec().qualifiedName();
        ctx.err().println(name + ": error: " + OptionVariables.attribute(describe(e), cmd.getCommandSpec()));
        if (ctx.env("KASTOR_DEBUG") != null) e.printStackTrace(ctx.err());
        return e instanceof TimedOutException ? ExitCode.TIMED_OUT : ExitCode.FAILED;
    }

    /**
     * A usage error: the problem and where help is, not the whole usage text (CI logs would bury the message). An
     * option a KASTOR_* variable set is named by that variable, as the user did not type it.
     */
    @Override
    public int handleParseException(CommandLine.ParameterException e, String[] args) {
        return usage(e.getCommandLine(), OptionVariables.explain(e), e);
    }

    /** picocli's usage errors and Kastor's own ({@link UsageException}) read alike: the problem, suggestions, where help is. */
    private int usage(CommandLine cmd, String message, CommandLine.ParameterException e) {
        ctx.err().println(cmd.getCommandSpec().qualifiedName() + ": " + message);
        if (e != null) CommandLine.UnmatchedArgumentException.printSuggestions(e, ctx.err());
        ctx.err().println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for the options and examples.");
        return ExitCode.USAGE;
    }

    static String describe(Throwable e) {
        if (e instanceof KastorException) return e.getMessage();
        if (e instanceof UncheckedIOException u) return describe(u.getCause());
        if (e instanceof NoSuchFileException n) return n.getFile() + ": no such file or directory";
        if (e instanceof AccessDeniedException a) return a.getFile() + ": permission denied";
        String message = e.getMessage();
        return e.getClass().getSimpleName() + (message == null ? "" : ": " + message)
                + " (unexpected: rerun with KASTOR_DEBUG=1 for the stack trace and report it)";
    }
}
