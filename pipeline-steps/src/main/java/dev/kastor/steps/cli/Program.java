package dev.kastor.steps.cli;

import java.io.PrintWriter;
import picocli.CommandLine;

/**
 * How a Kastor program runs its command line, {@code kastor} and the release's {@code build-images} alike: failures
 * and usage errors through {@link Errors}, the {@link Context}'s streams, help {@link #HELP_WIDTH} columns wide, and
 * every option also a variable ({@link OptionVariables}), so a release job is configured by CI/CD variables too.
 */
public final class Program {
    /** Columns of every help text: CI logs are wide; 80 columns would break the examples in the help. */
    public static final int HELP_WIDTH = 120;

    private Program() {}

    /** Runs {@code args} against the finished command tree {@code cmd}; returns the exit code ({@link ExitCode}). */
    public static int execute(CommandLine cmd, Context ctx, String... args) {
        var errors = new Errors(ctx);
        cmd.setExecutionExceptionHandler(errors);
        cmd.setParameterExceptionHandler(errors);
        cmd.setOut(new PrintWriter(ctx.out(), true));
        cmd.setErr(new PrintWriter(ctx.err(), true));
        cmd.setUsageHelpWidth(HELP_WIDTH);
        OptionVariables.install(cmd, ctx);
        return cmd.execute(args);
    }
}
