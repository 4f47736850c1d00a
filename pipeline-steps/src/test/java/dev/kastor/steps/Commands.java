package dev.kastor.steps;

import dev.kastor.steps.cli.Context;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;

/** The whole {@code kastor} command tree, as {@code kastor help} builds it, for tests that walk every command. */
final class Commands {
    private Commands() {}

    /** A context with no environment whose streams go nowhere: only for building the tree, not for running a command. */
    static Context context(Path dir) {
        var nowhere = new PrintStream(OutputStream.nullOutputStream());
        return new Context(Map.of(), nowhere, nowhere, java.io.InputStream.nullInputStream(), dir, dir);
    }

    /** Every command of the tree, the root first, parents before their subcommands. */
    static List<CommandLine> all(Path dir) {
        var all = new ArrayList<CommandLine>();
        collect(Kastor.commandLine(new Kastor(), new Kastor.Factory(context(dir)), null), all);
        return all;
    }

    private static void collect(CommandLine cmd, List<CommandLine> into) {
        into.add(cmd);
        for (CommandLine sub : cmd.getSubcommands().values()) if (!into.contains(sub)) collect(sub, into);
    }
}
