package dev.kastor.steps.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

/**
 * {@code help} of the root and of every group, following a path of any depth: {@code kastor help artifact push} and
 * {@code kastor artifact help push} both print what {@code kastor artifact push --help} prints. picocli's own
 * {@code HelpCommand} takes one name only, so {@code kastor help artifact push} showed the group's help.
 */
@Command(name = "help", helpCommand = true, description = "Show the help of a command, e.g. 'kastor help artifact push'.")
public final class HelpCommand implements CommandLine.IHelpCommandInitializable2, Callable<Integer> {
    @Parameters(paramLabel = "COMMAND", arity = "0..*", description = "The command, then its subcommand, whose help to show.")
    List<String> path = new ArrayList<>();

    private CommandLine self;
    private CommandLine.Help.ColorScheme colors;
    private PrintWriter out;

    @Override
    public void init(CommandLine helpCommandLine, CommandLine.Help.ColorScheme colorScheme, PrintWriter outWriter, PrintWriter errWriter) {
        this.self = helpCommandLine;
        this.colors = colorScheme;
        this.out = outWriter;
    }

    @Override
    public Integer call() {
        CommandLine target = self.getParent();
        for (String name : path) {
            CommandLine sub = target.getSubcommands().get(name);
            if (sub == null) {
                var names = new ArrayList<String>();
                for (CommandLine c : target.getSubcommands().values()) {
                    if (c != self && !c.getCommandSpec().helpCommand() && !names.contains(c.getCommandName())) names.add(c.getCommandName());
                }
                throw new CommandLine.ParameterException(target, "no command '" + name + "' here: pick one of " + String.join(", ", names),
                        null, name);
            }
            target = sub;
        }
        target.usage(out, colors);
        return target.getCommandSpec().exitCodeOnUsageHelp();
    }

    /** Gives every command of the tree that has subcommands (the root and each group) a {@code help} of its own. */
    public static void addTo(CommandLine cmd, CommandLine.IFactory factory) {
        if (cmd.getSubcommands().isEmpty() || cmd.getCommandSpec().helpCommand()) return;
        for (CommandLine sub : List.copyOf(cmd.getSubcommands().values())) addTo(sub, factory);
        if (!cmd.getSubcommands().containsKey("help")) cmd.addSubcommand("help", new CommandLine(new HelpCommand(), factory));
    }
}
