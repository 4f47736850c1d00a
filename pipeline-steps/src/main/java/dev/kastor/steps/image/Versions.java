package dev.kastor.steps.image;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** Kastor's own version (from the build), recorded as the tool that built an image and the release's default tag. */
public final class Versions {
    private Versions() {}

    public static String kastor() {
        var p = new Properties();
        try (InputStream in = Versions.class.getResourceAsStream("/dev/kastor/steps/version.properties")) {
            if (in != null) p.load(in);
        } catch (IOException ignored) {
            // unknown version is fine here
        }
        return p.getProperty("version", "unknown");
    }
}
