package dev.kastor.oci.extract;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Reads a stream on a thread of its own, a few buffers ahead of the reader, like the two halves of
 * {@code curl | tar -xz}: whatever the source does per byte (receiving from the network, inflating) runs
 * beside what the reader does with the bytes (parsing a tar, creating files), on another core. A failure of the
 * source reaches the reader at the point where it happened in the stream, as the same exception (unchecked ones
 * unchanged, so a registry error keeps its type). Closing stops the reading thread; the source is closed by its owner.
 */
final class ReadAhead extends InputStream {
    private static final int BUFFER = 256 * 1024;
    private static final int AHEAD = 4;

    /** A filled buffer, the end (length -1, never equal to a position), or a failure, in stream order. */
    private record Chunk(byte[] bytes, int length, Throwable failure) {
        static final Chunk END = new Chunk(new byte[0], -1, null);
    }

    private final BlockingQueue<Chunk> chunks = new ArrayBlockingQueue<>(AHEAD);
    private final Thread reader;
    private Chunk current = new Chunk(new byte[0], 0, null);
    private int position;

    ReadAhead(InputStream source, String name) {
        this.reader = Thread.ofPlatform().daemon().name(name).start(() -> pump(source));
    }

    private void pump(InputStream source) {
        try {
            while (true) {
                byte[] buffer = new byte[BUFFER];
                int n = source.readNBytes(buffer, 0, BUFFER);
                if (n > 0) {
                    chunks.put(new Chunk(buffer, n, null));
                }
                if (n < BUFFER) {
                    chunks.put(Chunk.END);
                    return;
                }
            }
        } catch (InterruptedException stopped) {
            // the reader closed this stream
        } catch (IOException | RuntimeException | Error e) {
            try {
                chunks.put(new Chunk(null, 0, e));
            } catch (InterruptedException stopped) {
                // the reader closed this stream
            }
        }
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        rethrowFailure();
        while (position == current.length()) {
            next();
            rethrowFailure();
        }
        if (current == Chunk.END) {
            return -1;
        }
        int n = Math.min(len, current.length() - position);
        System.arraycopy(current.bytes(), position, b, off, n);
        position += n;
        return n;
    }

    private void next() throws IOException {
        try {
            current = chunks.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the archive's bytes");
        }
        position = 0;
    }

    /** The source's failure, thrown again on every read after it: the stream never goes on past a failure. */
    private void rethrowFailure() throws IOException {
        switch (current.failure()) {
            case null -> { }
            case IOException e -> throw e;
            case RuntimeException e -> throw e;
            case Error e -> throw e;
            default -> throw new IllegalStateException(current.failure());
        }
    }

    @Override
    public void close() {
        reader.interrupt();
    }
}
