package dev.kastor.steps.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code kastor completion}: the bash completion script of the whole command tree, made by picocli from the same model
 * as {@code --help}, so it never falls behind the options. zsh reads it through {@code bashcompinit}, which the script
 * loads itself. The kastor image ships the same script in {@code /usr/share/bash-completion/completions/kastor}.
 */
@Command(name = "completion", description = {"Print the bash and zsh completion script of kastor.", "",
        "In a shell:   source <(kastor completion)",
        "Permanently:  kastor completion > ~/.local/share/bash-completion/completions/kastor", ""})
public final class CompletionCommand implements Callable<Integer> {
    private final Context ctx;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public CompletionCommand(Context ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() {
        ctx.out().print(script(spec.root().commandLine()));
        return ExitCode.OK;
    }

    /** The script for {@code root}'s tree, named after the root command. */
    public static String script(CommandLine root) {
        return AutoComplete.bash(root.getCommandName(), root);
    }
}
