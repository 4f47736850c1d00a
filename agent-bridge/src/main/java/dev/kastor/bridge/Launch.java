package dev.kastor.bridge;

import dev.kastor.bridge.observability.Causes;
import java.io.IOException;
import java.io.InputStream;
import java.text.BreakIterator;
import java.util.ArrayList;
import java.util.IllegalFormatException;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine.Help.Ansi.Text;
import picocli.CommandLine.Help.ColorScheme;
import picocli.CommandLine.Help.Column;
import picocli.CommandLine.Help.TextTable;
import picocli.CommandLine.Help;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine;

/**
 * What both programs share: the version, how errors are printed (one prefix per program: {@code kastor-kas: …},
 * {@code kastor-agent: …}), picocli's exit codes (0 ok, 1 failed, 2 usage) and help that wraps between words.
 */
final class Launch {
    private Launch() {}

    static String version() {
        var p = new Properties();
        try (InputStream in = Launch.class.getResourceAsStream("version.properties")) {
            if (in != null) p.load(in);
        } catch (IOException e) {
            return "unknown";
        }
        return p.getProperty("version", "unknown");
    }

    /** picocli's {@code --version} provider. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"${ROOT-COMMAND-NAME:-${COMMAND-FULL-NAME}} " + version()};
        }
    }

    /**
     * Failures print their message (what, where, how to fix), not a stack trace; usage errors print the problem and
     * where to read more. Every line goes through {@link #error}, so both programs and all their subcommands share one
     * prefix each.
     */
    static CommandLine commandLine(Object command) {
        var cl = new CommandLine(command);
        cl.setHelpFactory(WordWrapHelp::new);
        cl.setExecutionExceptionHandler((ex, line, parsed) -> {
            error(line.getCommandSpec(), Causes.describe(ex));
            return 1;
        });
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine line = ex.getCommandLine();
            error(line.getCommandSpec(), ex.getMessage());
            if (!CommandLine.UnmatchedArgumentException.printSuggestions(ex, line.getErr())) {
                line.getErr().println("Try '" + line.getCommandSpec().qualifiedName() + " --help' for more information.");
            }
            return line.getCommandSpec().exitCodeOnInvalidInput();
        });
        return cl;
    }

    /** Prints {@code <program>: message} on the command's error stream: the one place the prefix is made. */
    static void error(CommandSpec spec, String message) {
        spec.commandLine().getErr().println(spec.root().name() + ": " + message);
    }

    /**
     * picocli's help, wrapped between words: picocli breaks lines where {@link BreakIterator} allows, which
     * is also after a {@code .}, {@code /} or {@code :} inside a word, so paths and URLs came out as
     * {@code docs/multi-replica.} / {@code md}. Here a line breaks only at a space (a word longer than a whole line is
     * still cut, as picocli does).
     */
    static final class WordWrapHelp extends Help {
        WordWrapHelp(CommandSpec spec, ColorScheme colorScheme) {
            super(spec, colorScheme);
        }

        private int width() {
            return commandSpec().usageMessage().width();
        }

        @Override
        public Layout createDefaultLayout(List<OptionSpec> options, List<PositionalParamSpec> positionals, ColorScheme scheme) {
            int longOptions = calcLongOptionColumnWidth(options, positionals, scheme);
            // the columns of TextTable.forDefaultColumns: required marker, short option, comma, long options, description
            var table = new WordWrapTable(scheme, new Column(2, 0, Column.Overflow.TRUNCATE), new Column(2, 0, Column.Overflow.SPAN),
                    new Column(1, 0, Column.Overflow.TRUNCATE), new Column(longOptions, 1, Column.Overflow.SPAN),
                    new Column(width() - 5 - longOptions, 1, Column.Overflow.WRAP));
            return new Layout(scheme, table, createDefaultOptionRenderer(), createDefaultParameterRenderer());
        }

        @Override
        public String description(Object... params) {
            return lines(commandSpec().usageMessage().description(), params);
        }

        @Override
        public String header(Object... params) {
            return lines(commandSpec().usageMessage().header(), params);
        }

        @Override
        public String footer(Object... params) {
            return lines(commandSpec().usageMessage().footer(), params);
        }

        private String lines(String[] values, Object... params) {
            if (values == null || values.length == 0) return "";
            var table = new WordWrapTable(colorScheme(), new Column(width(), 0, Column.Overflow.WRAP));
            table.indentWrappedLines = 0;
            for (String v : values) table.addRowValues(format(v, params));
            return table.toString();
        }

        /** As picocli formats description lines ({@code %n} is a line break), keeping a line that is no format as it is. */
        private static String format(String line, Object... params) {
            try {
                return line == null ? "" : String.format(line, params);
            } catch (IllegalFormatException e) {
                return line;
            }
        }

        @Override
        public String commandList(Map<String, Help> subcommands) {
            if (subcommands.isEmpty()) return "";
            int names = Math.min(subcommands.keySet().stream().mapToInt(String::length).max().orElse(0), width() / 2);
            var table = new WordWrapTable(colorScheme(), new Column(names + 2, 2, Column.Overflow.SPAN),
                    new Column(width() - (names + 2), 2, Column.Overflow.WRAP));
            for (Help help : subcommands.values()) {
                var usage = help.commandSpec().usageMessage();
                String first = usage.header().length > 0 ? usage.header()[0] : usage.description().length > 0 ? usage.description()[0] : "";
                Text[] lines = colorScheme().text(format(first)).splitLines();
                for (int i = 0; i < lines.length; i++) table.addRowValues(i == 0 ? help.commandNamesText(", ") : colorScheme().text(""), lines[i]);
            }
            return table.toString();
        }
    }

    /** A {@link TextTable} whose wrapping columns break lines at spaces only. */
    static final class WordWrapTable extends TextTable {
        private final ColorScheme scheme;

        WordWrapTable(ColorScheme scheme, Column... columns) {
            super(scheme, columns);
            this.scheme = scheme;
        }

        @Override
        public Cell putValue(int row, int col, Text value) {
            Column column = columns()[col];
            if (column.overflow != Column.Overflow.WRAP || value == null) return super.putValue(row, col, value);
            String plain = value.plainString();
            int room = column.width - column.indent;
            if (plain.length() <= room) return super.putValue(row, col, value);
            Text indent = scheme.ansi().new Text(" ".repeat(indentWrappedLines), scheme);
            Cell cell = null;
            List<int[]> lines = wrap(plain, room, room - indentWrappedLines);
            for (int i = 0; i < lines.size(); i++) {
                if (i > 0) {
                    addEmptyRow();
                    row++;
                }
                Text piece = value.substring(lines.get(i)[0], lines.get(i)[1]);
                cell = super.putValue(row, col, i == 0 ? piece : indent.concat(piece));
                row = cell.row;
            }
            return cell;
        }

        /**
         * [start, end) of each line of {@code s}: as many words as fit, the first line in {@code first} columns, the
         * others in {@code next}; a line after the first starts at a word. A word longer than a line is cut.
         */
        static List<int[]> wrap(String s, int first, int next) {
            var lines = new ArrayList<int[]>();
            int n = s.length();
            int i = 0;
            while (i < n) {
                if (!lines.isEmpty()) {
                    while (i < n && s.charAt(i) == ' ') i++;
                    if (i == n) break;
                }
                int room = Math.max(1, lines.isEmpty() ? first : next);
                int end = i;
                for (int k = i; k < n; ) {
                    int w = k;
                    while (w < n && s.charAt(w) == ' ') w++;
                    while (w < n && s.charAt(w) != ' ') w++;
                    if (w - i > room) break;
                    end = w;
                    k = w;
                }
                if (end == i) end = Math.min(n, i + room);
                lines.add(new int[] {i, end});
                i = end;
            }
            return lines;
        }
    }
}
