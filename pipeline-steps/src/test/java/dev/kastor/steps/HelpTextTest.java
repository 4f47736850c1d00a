package dev.kastor.steps;

import dev.kastor.steps.cli.Program;
import dev.kastor.steps.release.KastorImages;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The help of every command in the tree (and of the release's {@code build-images}), walked from the model rather than
 * listed by hand so a new verb is checked too: the one-line summaries in the command lists are whole sentences, and no help line is wider than the CLI's
 * width or splits a word.
 */
class HelpTextTest {
    @TempDir
    Path tmp;

    private static String summary(CommandLine cmd) {
        String[] header = cmd.getCommandSpec().usageMessage().header();
        String[] description = cmd.getCommandSpec().usageMessage().description();
        return (header.length > 0 ? header[0] : description.length > 0 ? description[0] : "").strip();
    }

    @Test
    void everySummaryIsOneWholeSentenceOnOneLineOfItsParentsCommandList() {
        var soft = new SoftAssertions(); // every command's problem at once, not the first one
        for (CommandLine cmd : Commands.all(tmp)) {
            CommandLine parent = cmd.getParent();
            if (parent == null) continue;
            String summary = summary(cmd);
            String where = "summary of '" + cmd.getCommandSpec().qualifiedName() + "'";

            soft.assertThat(summary).as(where).matches("[A-Z].*[^.]\\.").doesNotEndWith("e.g.").doesNotEndWith("etc.");
            parent.setUsageHelpWidth(Program.HELP_WIDTH);
            List<String> lines = parent.getUsageMessage().lines().toList();
            soft.assertThat(lines).as(where + " in the help of " + parent.getCommandSpec().qualifiedName())
                    .anyMatch(l -> l.matches("\\s+" + Pattern.quote(cmd.getCommandName()) + "(, [\\w-]+)*\\s+" + Pattern.quote(summary)));
        }
        soft.assertAll();
    }

    @Test
    void noHelpLineIsWiderThanTheCliWidthOrSplitsAWord() {
        var soft = new SoftAssertions();
        var programs = new ArrayList<>(Commands.all(tmp));
        programs.add(new CommandLine(new KastorImages(Commands.context(tmp)))); // the release's build-images
        for (CommandLine cmd : programs) {
            String where = "help of '" + cmd.getCommandSpec().qualifiedName() + "'";
            cmd.setUsageHelpWidth(Program.HELP_WIDTH);
            String help = cmd.getUsageMessage();
            cmd.setUsageHelpWidth(10_000); // nothing wraps: the words as written
            String unwrapped = cmd.getUsageMessage();

            soft.assertThat(help.lines()).as(where).allMatch(l -> l.length() <= Program.HELP_WIDTH);
            // Wrapping at spaces keeps the words; a word cut at the margin would become two.
            soft.assertThat(firstSplitWord(words(unwrapped), words(help))).as(where + ": a word split at the margin").isEmpty();
        }
        soft.assertAll();
    }

    /** Where the wrapped help's words stop being the unwrapped help's, as "... written | wrapped", or "" when they never do. */
    private static String firstSplitWord(List<String> written, List<String> wrapped) {
        for (int i = 0; i < Math.max(written.size(), wrapped.size()); i++) {
            if (i >= written.size() || i >= wrapped.size() || !written.get(i).equals(wrapped.get(i))) {
                int from = Math.max(0, i - 3);
                return String.join(" ", written.subList(from, Math.min(written.size(), i + 2))) + " | "
                        + String.join(" ", wrapped.subList(from, Math.min(wrapped.size(), i + 2)));
            }
        }
        return "";
    }

    private static List<String> words(String text) {
        return Arrays.stream(text.strip().split("\\s+")).toList();
    }
}
