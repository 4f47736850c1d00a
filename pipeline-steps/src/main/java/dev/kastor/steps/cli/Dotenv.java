package dev.kastor.steps.cli;

import dev.kastor.oci.AtomicFiles;
import dev.kastor.oci.Causes;
import dev.kastor.oci.InvalidInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A GitLab dotenv report ({@code artifacts:reports:dotenv}): {@code KEY=value} lines the next job receives as
 * variables. Keys this step writes replace earlier values; other keys (from earlier steps in the job) stay.
 */
public final class Dotenv {
    private Dotenv() {}

    public static void update(Path file, Map<String, String> values) {
        var merged = new LinkedHashMap<String, String>();
        try {
            if (Files.exists(file)) {
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    int eq = line.indexOf('=');
                    if (eq > 0 && !line.startsWith("#")) merged.put(line.substring(0, eq), line.substring(eq + 1));
                }
            }
            values.forEach((k, v) -> {
                if (v.contains("\n")) throw new InvalidInputException("dotenv value for " + k + " contains a newline: GitLab's dotenv reports cannot carry it");
                merged.put(k, v);
            });
            var text = new StringBuilder();
            merged.forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
            Files.createDirectories(file.toAbsolutePath().getParent());
            AtomicFiles.write(file.toAbsolutePath(), text.toString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write dotenv file " + file + ": " + Causes.describe(e), e);
        }
    }
}
