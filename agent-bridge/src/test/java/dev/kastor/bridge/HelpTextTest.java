package dev.kastor.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;

/**
 * The help of every kastor-kas and kastor-agent command breaks lines between words only: picocli alone broke after a
 * {@code .}, {@code /} or {@code :} inside a word ({@code docs/multi-replica.} / {@code md}).
 */
class HelpTextTest {
    @Test
    void noHelpLineBreaksAWordOrAPath() {
        var commands = new ArrayList<CommandLine>();
        collect(Launch.commandLine(new KasMain()), commands);
        collect(Launch.commandLine(new AgentMain()), commands);
        assertThat(commands).extracting(c -> c.getCommandSpec().qualifiedName())
                .contains("kastor-kas", "kastor-kas serve", "kastor-kas agent register", "kastor-kas agent list", "kastor-kas agent revoke", "kastor-agent");

        for (CommandLine c : commands) {
            String help = c.getUsageMessage(CommandLine.Help.Ansi.OFF);
            String name = c.getCommandSpec().qualifiedName();
            int width = c.getCommandSpec().usageMessage().width();
            Set<String> shown = new HashSet<>(Arrays.asList(help.split("\\s+")));
            for (String line : help.lines().toList()) assertThat(line.length()).as(name + ": " + line).isLessThanOrEqualTo(width);
            for (String word : words(c)) assertThat(shown).as(name + " --help shows \"" + word + "\" whole:\n" + help).contains(word);
        }
    }

    @Test
    void thePathsAndKeysThatCameOutBrokenAreWhole() {
        String serve = Cli.kas("serve", "--help").out();
        String kas = Cli.kas("--help").out();
        String agent = Cli.agent("--help").out();

        assertThat(serve).contains("docs/multi-replica.md").contains("docs/agent-configuration.md").contains("listen.agent.websocket:");
        assertThat(kas).contains("listen.agent.websocket:");
        assertThat(agent).contains("grpcs://host:443,").contains("listen.agent.websocket:");
        assertThat(Cli.kas("agent", "register", "--help").out()).contains(".gitlab/agents/<name>/config.yaml");
    }

    @Test
    void aLineBreaksAtSpacesAndCutsOnlyAWordLongerThanTheLine() {
        String s = "one two three-four five.six seven";
        assertThat(lines(s, 10, 10)).containsExactly("one two", "three-four", "five.six", "seven");
        assertThat(lines("aaa bbb ccc", 7, 3)).containsExactly("aaa bbb", "ccc");
        assertThat(lines("abcdefghijkl mn", 5, 5)).containsExactly("abcde", "fghij", "kl mn");
        assertThat(lines("a  b", 10, 10)).containsExactly("a  b");
    }

    private static List<String> lines(String s, int first, int next) {
        return Launch.WordWrapTable.wrap(s, first, next).stream().map(r -> s.substring(r[0], r[1])).toList();
    }

    /** The words of a command's own description and of its options' and parameters' descriptions, as written. */
    private static List<String> words(CommandLine c) {
        var text = new ArrayList<String>(Arrays.asList(c.getCommandSpec().usageMessage().description()));
        for (ArgSpec a : c.getCommandSpec().args()) text.addAll(Arrays.asList(a.description()));
        for (CommandLine sub : c.getSubcommands().values()) text.add(sub.getCommandSpec().usageMessage().description()[0]);
        return text.stream().flatMap(t -> Arrays.stream(t.split("\\s+"))).filter(w -> !w.isEmpty() && !w.contains("${")).toList();
    }

    private static void collect(CommandLine c, List<CommandLine> into) {
        into.add(c);
        c.getSubcommands().values().forEach(s -> collect(s, into));
    }
}
