package dev.kastor.bridge;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.function.IntSupplier;

/** Runs kastor-kas or kastor-agent in-process as a user would, with stdout and stderr captured. */
final class Cli {
    private Cli() {}

    record Run(int exit, String out, String err) {}

    static Run kas(String... args) {
        return run(() -> KasMain.run(args));
    }

    static Run agent(String... args) {
        return run(() -> AgentMain.run(args));
    }

    private static synchronized Run run(IntSupplier main) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            return new Run(main.getAsInt(), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }
}
