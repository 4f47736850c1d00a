package dev.kastor.citemplates;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;

/** The README's snippets that tests run as they are, each marked {@code <!-- snippet: NAME -->} before its fenced block. */
final class Readme {
    private Readme() {}

    static String snippet(String name) {
        try {
            String readme = Files.readString(Repo.ROOT.resolve("README.md"));
            int marker = readme.indexOf("<!-- snippet: " + name + " -->");
            if (marker < 0) throw new IllegalStateException("README.md has no snippet " + name);
            int start = readme.indexOf('\n', readme.indexOf("```", marker)) + 1;
            return readme.substring(start, readme.indexOf("```", start));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
