package dev.kastor.steps.image;

import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import com.google.cloud.tools.jib.api.buildplan.FileEntriesLayer;
import com.google.cloud.tools.jib.api.buildplan.FilePermissions;
import dev.kastor.oci.Causes;
import dev.kastor.oci.InvalidInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns layer specs into jib layers with reproducible metadata: entries sorted, a fixed modification time, modes
 * 0644 (0755 for executables) unless given, so the layer digest does not depend on the checkout's times or umask.
 */
final class Layers {
    /** jib's own default; fixed so the same files always give the same layer. */
    static final Instant FILE_TIME = FileEntriesLayer.DEFAULT_MODIFICATION_TIME;
    private static final FilePermissions FILE = FilePermissions.fromOctalString("644");
    private static final FilePermissions EXECUTABLE = FilePermissions.fromOctalString("755");

    private Layers() {}

    static List<FileEntriesLayer> of(JavaApp app, List<LayerSpec> specs) {
        var out = new ArrayList<FileEntriesLayer>();
        if (app != null) {
            for (JavaApp.NamedLayer layer : app.layers()) {
                var b = FileEntriesLayer.builder().setName(layer.name());
                for (JavaApp.Entry e : layer.entries()) b.addEntry(e.source(), AbsoluteUnixPath.get(e.path()), FILE, FILE_TIME);
                out.add(b.build());
            }
        }
        for (LayerSpec spec : specs) out.add(of(spec));
        return out;
    }

    static FileEntriesLayer of(LayerSpec spec) {
        Path src = spec.source();
        if (!Files.exists(src)) {
            throw new InvalidInputException("--layer " + spec.name() + ":" + spec.destination() + ": source " + src
                    + " does not exist (paths are relative to the working directory)");
        }
        var b = FileEntriesLayer.builder().setName(spec.name());
        FilePermissions given = spec.mode() == null ? null : FilePermissions.fromOctalString(spec.mode().length() == 4 ? spec.mode().substring(1) : spec.mode());
        if (Files.isDirectory(src)) {
            AbsoluteUnixPath root = AbsoluteUnixPath.get(spec.destination());
            for (Path f : walk(src)) {
                if (f.equals(src)) continue;
                String rel = src.relativize(f).toString().replace('\\', '/');
                AbsoluteUnixPath at = root.resolve(rel);
                if (Files.isDirectory(f)) {
                    b.addEntry(f, at, EXECUTABLE, FILE_TIME);
                } else if (Files.isRegularFile(f)) {
                    b.addEntry(f, at, given != null ? given : mode(f), FILE_TIME);
                }
            }
        } else {
            String dest = spec.destination().endsWith("/") ? spec.destination() + src.getFileName() : spec.destination();
            b.addEntry(src, AbsoluteUnixPath.get(dest), given != null ? given : mode(src), FILE_TIME);
        }
        return b.build();
    }

    private static FilePermissions mode(Path f) {
        return Files.isExecutable(f) ? EXECUTABLE : FILE;
    }

    private static List<Path> walk(Path dir) {
        try (var s = Files.walk(dir)) {
            return s.sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read layer source " + dir + ": " + Causes.describe(e), e);
        }
    }
}
