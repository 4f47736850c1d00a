package dev.kastor.oci.artifact;

import dev.kastor.oci.AtomicFiles;
import dev.kastor.oci.KastorException;
import dev.kastor.oci.gzip.ParallelGzipOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Builds a Flux artifact's content layer from a directory, a single file or stdin bytes:
 * <pre>{@code
 * BuiltLayer layer = ArtifactBuilder.fromPath(Path.of("deploy"))
 *         .ignoreRules(IgnoreRules.fluxDefaults().plus(List.of("*.md")))
 *         .warnings(log::warn)
 *         .build(Path.of("artifact.tar.gz"));
 * }</pre>
 * The same tree always gives the same digest, whatever the file times, permissions beyond the owner-execute bit,
 * creation order, umask or thread count.
 */
public final class ArtifactBuilder {
    private final Path source;
    private final SourceTree tree;
    private IgnoreRules ignoreRules = IgnoreRules.fluxDefaults();
    private boolean resolveSymlinks;
    private Consumer<String> warnings = w -> {};
    private int gzipLevel = ParallelGzipOutputStream.DEFAULT_LEVEL;
    private int gzipThreads = Runtime.getRuntime().availableProcessors();

    private ArtifactBuilder(Path source, SourceTree tree) {
        this.source = source;
        this.tree = tree;
    }

    /** A directory (walked with the ignore rules) or a single file (packaged under its own name). */
    public static ArtifactBuilder fromPath(Path source) {
        return new ArtifactBuilder(Objects.requireNonNull(source, "source"), null);
    }

    /** Bytes read from stdin, packaged as one file called {@code name}. */
    public static ArtifactBuilder fromStdin(String name, byte[] content) {
        return new ArtifactBuilder(null, SourceTree.ofStdin(name, content));
    }

    /** A tree already scanned (for instance to show it, or diff it, before building). */
    public static ArtifactBuilder fromTree(SourceTree tree) {
        return new ArtifactBuilder(null, Objects.requireNonNull(tree, "tree"));
    }

    /** Defaults to {@link IgnoreRules#fluxDefaults()}; only used when walking a directory. */
    public ArtifactBuilder ignoreRules(IgnoreRules rules) {
        this.ignoreRules = Objects.requireNonNull(rules, "rules");
        return this;
    }

    public ArtifactBuilder resolveSymlinks(boolean resolve) {
        this.resolveSymlinks = resolve;
        return this;
    }

    public ArtifactBuilder warnings(Consumer<String> warnings) {
        this.warnings = Objects.requireNonNull(warnings, "warnings");
        return this;
    }

    /** 0 (store) to 9 (smallest); changes the digest. Default 6. */
    public ArtifactBuilder gzipLevel(int level) {
        this.gzipLevel = level;
        return this;
    }

    /** Compression threads; never changes the digest. Default: one per processor. */
    public ArtifactBuilder gzipThreads(int threads) {
        this.gzipThreads = threads;
        return this;
    }

    /** What would be packaged, without writing anything. */
    public SourceTree scan() {
        if (tree != null) {
            return tree;
        }
        return SourceTree.scanner(source).ignoreRules(ignoreRules).resolveSymlinks(resolveSymlinks).warnings(warnings).scan();
    }

    /**
     * Writes the layer to {@code output} atomically: into a temporary file in the same directory, moved into
     * place only when complete, so a reader never sees half a layer and a failure leaves the old file alone.
     */
    public BuiltLayer build(Path output) {
        Path target = output.toAbsolutePath().normalize();
        // Scanned before the temporary file exists, and without a previous output, so re-running is reproducible.
        SourceTree scanned = scan().without(target);
        Path directory = target.getParent();
        Path temporary = AtomicFiles.temporarySibling(target);
        try {
            Files.createDirectories(directory);
            BuiltLayer layer;
            try (OutputStream out = Files.newOutputStream(temporary, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                layer = new LayerWriter(gzipLevel, gzipThreads).write(scanned, out);
            }
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return new BuiltLayer(target, layer.digest(), layer.size(), layer.fileCount(), layer.uncompressedBytes());
        } catch (IOException e) {
            throw new KastorException("cannot write " + target + ": " + e + "; check that the directory is writable and has space", e);
        } finally {
            deleteQuietly(temporary);
        }
    }

    /** Writes the layer to {@code out} (flushed, not closed); the returned layer has no path. */
    public BuiltLayer writeTo(OutputStream out) throws IOException {
        return new LayerWriter(gzipLevel, gzipThreads).write(scan(), out);
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // Best effort: the name starts with a dot and ends with .tmp, so it is recognisable if it stays.
        }
    }
}
