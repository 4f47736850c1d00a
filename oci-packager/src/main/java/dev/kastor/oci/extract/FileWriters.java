package dev.kastor.oci.extract;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Creates and writes files on two threads while the archive is still being read. Creating a file costs the kernel
 * far more than writing a few KiB into it (a Flux artifact is thousands of small manifests), and files in different
 * directories are created side by side. The caller creates directories first and decides every refusal; a writer
 * only writes. At most {@link #IN_FLIGHT} files wait in memory, so memory stays bounded whatever the archive holds.
 */
final class FileWriters implements AutoCloseable {
    /** Files up to this size are handed to a writer; bigger ones the caller streams itself. */
    static final int SMALL = 512 * 1024;
    private static final int IN_FLIGHT = 32;
    private static final Set<OpenOption> WRITE = Set.of(StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);

    /** What to throw when a file's write fails: the caller words it, naming the archive's entry. */
    interface Failure {
        RuntimeException of(IOException cause);
    }

    private final ExecutorService threads = Executors.newFixedThreadPool(2, task -> Thread.ofPlatform().daemon().name("kastor-extract-write").unstarted(task));
    private final Semaphore slots = new Semaphore(IN_FLIGHT);
    private final AtomicReference<RuntimeException> failure = new AtomicReference<>();

    /** Opens {@code path} for writing, creating it with {@code attributes}; by name, so only where no link can be. */
    static SeekableByteChannel create(Path path, FileAttribute<?>... attributes) throws IOException {
        return Files.newByteChannel(path, WRITE, attributes);
    }

    /** Writes {@code content} to {@code path} on a writer thread, waiting for a slot first; throws an earlier writer's failure. */
    void write(Path path, byte[] content, FileAttribute<?>[] attributes, Failure failed) throws IOException {
        rethrow();
        try {
            slots.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting to write " + path);
        }
        threads.execute(() -> {
            try (SeekableByteChannel out = create(path, attributes)) {
                ByteBuffer bytes = ByteBuffer.wrap(content);
                while (bytes.hasRemaining()) {
                    out.write(bytes);
                }
            } catch (IOException | RuntimeException e) {
                failure.compareAndSet(null, e instanceof IOException io ? failed.of(io) : (RuntimeException) e);
            } finally {
                slots.release();
            }
        });
    }

    /** Waits until every file handed over is written; throws the first failure. */
    void finish() throws IOException {
        try {
            slots.acquire(IN_FLIGHT);
            slots.release(IN_FLIGHT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for files to be written");
        }
        rethrow();
    }

    private void rethrow() {
        RuntimeException e = failure.get();
        if (e != null) {
            throw e;
        }
    }

    /** Stops the writers and waits for them, so nothing writes into a directory about to be removed. */
    @Override
    public void close() {
        threads.shutdownNow(); // interrupts a write, which closes its file
        try {
            threads.awaitTermination(1, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
