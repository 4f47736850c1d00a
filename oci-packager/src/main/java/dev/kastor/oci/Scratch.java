package dev.kastor.oci;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Temporary files and directories of a running step (a downloaded layer, a {@code .part} file, an extraction's staging
 * directory) that must not outlive the process, not even when a signal ends it: a CI job cancelled or timed out gets
 * SIGTERM, and a pull killed mid-way would leave gigabytes beside its target and in the temp dir.
 *
 * <p>{@link #track} registers a path; closing the handle deletes it. On SIGTERM/SIGINT a shutdown hook first tells the
 * running step to stop ({@link #checkNotStopping()}, called between entries and buffers), waits up to
 * {@link #GRACE_MILLIS} for it to remove its own paths, then deletes what is still registered: the step's own clean-up
 * runs on its thread, with no concurrent deletion under its feet, unless it is stuck (a silent registry).
 */
public final class Scratch implements AutoCloseable {
    static final long GRACE_MILLIS = 2000;

    private static final Set<Path> LIVE = ConcurrentHashMap.newKeySet();
    private static volatile boolean stopping;
    private static volatile boolean hooked;

    private final Path path;

    private Scratch(Path path) {
        this.path = path;
    }

    /** Deletes {@code path} (a file, or a directory with everything in it) on close, or when the process is stopped. */
    public static Scratch track(Path path) {
        installHook();
        Path p = path.toAbsolutePath();
        LIVE.add(p);
        if (stopping) {
            LIVE.remove(p);
            deleteQuietly(p);
            throw stopped();
        }
        return new Scratch(p);
    }

    /** Throws once the process is shutting down, so a step stops writing and cleans up after itself. */
    public static void checkNotStopping() {
        if (stopping) {
            throw stopped();
        }
    }

    public Path path() {
        return path;
    }

    @Override
    public void close() {
        try {
            deleteQuietly(path);
        } finally {
            LIVE.remove(path);
        }
    }

    private static KastorException stopped() {
        return new KastorException("stopped by a signal: temporary files were removed, nothing was extracted");
    }

    private static void installHook() {
        if (hooked) {
            return;
        }
        synchronized (Scratch.class) {
            if (!hooked) {
                Runtime.getRuntime().addShutdownHook(new Thread(Scratch::onShutdown, "kastor-scratch-cleanup"));
                hooked = true;
            }
        }
    }

    private static void onShutdown() {
        stopping = true;
        long deadline = System.nanoTime() + GRACE_MILLIS * 1_000_000;
        while (!LIVE.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                break;
            }
        }
        for (Path p : Set.copyOf(LIVE)) {
            deleteQuietly(p);
            LIVE.remove(p);
        }
    }

    /** Deletes a tree without following links; best effort (a leftover is named as temporary and harmless). */
    public static void deleteQuietly(Path root) {
        try {
            deleteTree(root);
        } catch (IOException ignored) {
            // best effort
        }
    }

    /** Deletes a tree without following links (a link is deleted, not its target); what vanished meanwhile is fine. */
    public static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw e;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException failure) throws IOException {
                if (failure != null) {
                    throw failure;
                }
                Files.deleteIfExists(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
