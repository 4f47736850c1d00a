package dev.kastor.steps.image;

import dev.kastor.oci.UsageException;
import java.nio.file.Path;

/**
 * One {@code --layer SRC:DEST[:MODE]}: a file or a directory's content placed at an absolute path in the image.
 *
 * @param name layer name shown in logs
 * @param source file or directory on disk
 * @param destination absolute path in the image; for a directory source, its content goes below it; for a file,
 *     the file itself, or {@code DEST/<file name>} when DEST ends with '/'
 * @param mode octal permissions for files (e.g. {@code 755}), or {@code null} for 0644 (0755 when executable)
 */
public record LayerSpec(String name, Path source, String destination, String mode) {
    public LayerSpec {
        if (!destination.startsWith("/")) {
            throw new UsageException("layer destination '" + destination + "' is not absolute: write it as /path/in/image, e.g. --layer build/app:/app");
        }
        if (mode != null && !mode.matches("[0-7]{3,4}")) {
            throw new UsageException("layer mode '" + mode + "' is not octal permissions such as 644 or 755");
        }
    }

    /** Parses {@code SRC:DEST[:MODE]}; SRC is resolved against {@code workDir}. */
    public static LayerSpec parse(String text, Path workDir) {
        String rest = text;
        String mode = null;
        int last = rest.lastIndexOf(':');
        if (last > 0 && rest.substring(last + 1).matches("[0-7]{3,4}")) {
            mode = rest.substring(last + 1);
            rest = rest.substring(0, last);
        }
        int colon = rest.lastIndexOf(':');
        if (colon <= 0 || colon == rest.length() - 1) {
            throw new UsageException("--layer '" + text + "' must be SRC:DEST[:MODE], e.g. --layer build/dist:/app or --layer bin/run.sh:/usr/local/bin/run:755");
        }
        String src = rest.substring(0, colon);
        return new LayerSpec(src, workDir.resolve(src).normalize(), rest.substring(colon + 1), mode);
    }
}
