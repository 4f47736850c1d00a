package dev.kastor.steps;

import dev.kastor.steps.cli.CompletionCommand;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.codegen.docgen.manpage.ManPageGenerator;

/**
 * Writes what the kastor image ships besides the jar, from the command tree {@code kastor help} shows: the bash/zsh
 * completion script ({@code bash-completion/completions/kastor}, what {@code kastor completion} prints) and an
 * AsciiDoc man page per command ({@code doc/kastor/man/kastor-artifact-push.adoc}, picocli-codegen's generator),
 * laid out as below {@code /usr/share}. The build runs it into {@code pipeline-steps/target/share} after the tests
 * (exec-maven-plugin, prepare-package); it lives with the tests because picocli-codegen is a test dependency only,
 * never in the jar.
 */
public final class ShellDocs {
    static final Path COMPLETION = Path.of("bash-completion/completions/kastor");
    static final Path MAN = Path.of("doc/kastor/man");

    private ShellDocs() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 1) throw new IllegalArgumentException("usage: ShellDocs SHARE_DIR");
        write(Path.of(args[0]));
    }

    /** Writes both below {@code share}, replacing what an earlier build wrote there. */
    static void write(Path share) throws IOException {
        CommandLine root = Kastor.commandLine(new Kastor(), new Kastor.Factory(Commands.context(share)), null);
        Path completion = share.resolve(COMPLETION);
        Files.createDirectories(completion.getParent());
        Files.writeString(completion, CompletionCommand.script(root), StandardCharsets.UTF_8);
        Path man = share.resolve(MAN);
        dev.kastor.oci.Scratch.deleteQuietly(man); // a command that was removed leaves no page behind
        int exit = ManPageGenerator.generateManPage(man.toFile(), null, new boolean[0], true, root.getCommandSpec());
        if (exit != 0) throw new IOException("the man page generator failed (exit " + exit + ") writing " + man);
    }
}
