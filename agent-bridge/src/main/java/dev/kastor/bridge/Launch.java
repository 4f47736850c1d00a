package dev.kastor.bridge;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** What both binaries share before their modules exist: {@code --version}, and a clear refusal of anything else. */
final class Launch {
    private Launch() {}

    static int run(String name, String[] args) {
        if (args.length == 1 && (args[0].equals("--version") || args[0].equals("-V"))) {
            System.out.println(name + " " + version());
            return 0;
        }
        System.err.println(name + ": this build has no server modules yet; only --version works");
        return 2;
    }

    static String version() {
        var p = new Properties();
        try (InputStream in = Launch.class.getResourceAsStream("version.properties")) {
            if (in != null) p.load(in);
        } catch (IOException e) {
            return "unknown";
        }
        return p.getProperty("version", "unknown");
    }
}
