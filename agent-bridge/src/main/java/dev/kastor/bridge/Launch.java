package dev.kastor.bridge;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine;

/** What both programs share: the version, and picocli's exit-code handling (0 ok, 1 failed, 2 usage). */
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

    /** Failures print their message (what, where, how to fix), not a stack trace. */
    static CommandLine commandLine(Object command) {
        var cl = new CommandLine(command);
        cl.setExecutionExceptionHandler((ex, line, parsed) -> {
            line.getErr().println(line.getCommandName() + ": " + ex.getMessage());
            return 1;
        });
        return cl;
    }
}
