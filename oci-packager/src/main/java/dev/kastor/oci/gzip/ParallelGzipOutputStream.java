package dev.kastor.oci.gzip;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * A gzip stream whose bytes depend only on the input, the level and the block size: never on the thread count,
 * the machine or the time. That is what makes a Flux artifact's layer digest reproducible while still using
 * every core (the same scheme as pigz).
 *
 * <p>The input is cut into blocks of {@code blockSize} bytes at fixed offsets. Each block is raw-deflated on
 * its own, primed with the last 32 KiB of the previous block as preset dictionary (so compression barely
 * suffers), and ends with a sync flush, which leaves the stream byte-aligned and not final, so block outputs
 * can simply be concatenated. The block handed over by {@link #finish()} ends the stream. The header is fixed
 * (MTIME 0, OS 255) and the trailer's CRC-32 and size are computed on the writing thread.
 *
 * <p>At most {@code 2 × threads} blocks are in flight: a writer faster than the workers waits. {@link #flush()}
 * does not cut a block (that would make the bytes depend on when callers flush). The stream owns its worker
 * threads (daemons, so a CLI never hangs on them) and stops them on {@link #close()}.
 */
public final class ParallelGzipOutputStream extends OutputStream {
    public static final int DEFAULT_LEVEL = 6;
    public static final int DEFAULT_BLOCK_SIZE = 1 << 20;
    /** Deflate's window: the most history a block can refer back to, hence the dictionary size. */
    static final int WINDOW = 32 * 1024;

    private static final byte[] HEADER = {
        0x1f, (byte) 0x8b, // magic
        8, // CM: deflate
        0, // FLG: no name, no comment, no extra
        0, 0, 0, 0, // MTIME: none, so the bytes never depend on the clock
        0, // XFL
        (byte) 255 // OS: unknown, so the bytes never depend on the machine
    };
    private static final AtomicInteger POOL_NUMBER = new AtomicInteger();

    private final OutputStream out;
    private final int level;
    private final int blockSize;
    private final int maxInFlight;
    private final ExecutorService workers;
    /** Deflaters are costly to create (zlib allocates ~256 KiB each): keep one per possible running task. */
    private final BlockingQueue<Deflater> deflaters;
    private final ArrayDeque<Future<Compressed>> inFlight = new ArrayDeque<>();
    /*
     * Buffers are recycled: 1 MiB arrays are "humongous" for G1, and allocating two per block made garbage
     * collection a visible share of the run time.
     */
    private final Queue<byte[]> freeInputs = new ConcurrentLinkedQueue<>();
    private final Queue<byte[]> freeOutputs = new ConcurrentLinkedQueue<>();
    private final CRC32 crc = new CRC32();

    private byte[] block;
    private int blockFill;
    /** The last 32 KiB of the previous block: the next block's preset dictionary. */
    private byte[] dictionary;
    private long uncompressedBytes;
    private boolean finished;
    private boolean closed;

    /** Level 6 (gzip's default) on as many threads as there are processors, 1 MiB blocks. */
    public ParallelGzipOutputStream(OutputStream out) throws IOException {
        this(out, DEFAULT_LEVEL, Runtime.getRuntime().availableProcessors(), DEFAULT_BLOCK_SIZE);
    }

    /**
     * @param level 0 (store) to 9 (best)
     * @param threads number of deflate workers; does not change the output bytes
     * @param blockSize bytes per independently compressed block, at least 32 KiB; changes the output bytes
     */
    public ParallelGzipOutputStream(OutputStream out, int level, int threads, int blockSize) throws IOException {
        this.out = Objects.requireNonNull(out, "out");
        if (level < 0 || level > 9) {
            throw new IllegalArgumentException("gzip level must be 0 to 9, got " + level);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("gzip threads must be at least 1, got " + threads);
        }
        if (blockSize < WINDOW) {
            // A smaller block could not hold a whole dictionary, and the window would span several blocks.
            throw new IllegalArgumentException("gzip block size must be at least " + WINDOW + " bytes, got " + blockSize);
        }
        out.write(HEADER); // first, so a failing stream leaves no threads behind
        this.level = level;
        this.blockSize = blockSize;
        this.maxInFlight = 2 * threads;
        this.workers = Executors.newFixedThreadPool(threads, daemonThreads());
        this.deflaters = new ArrayBlockingQueue<>(threads);
        this.block = new byte[blockSize];
    }

    private static ThreadFactory daemonThreads() {
        int pool = POOL_NUMBER.incrementAndGet();
        AtomicInteger thread = new AtomicInteger();
        return task -> {
            Thread t = new Thread(task, "kastor-gzip-" + pool + "-" + thread.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        ensureOpen();
        crc.update(b, off, len);
        uncompressedBytes += len;
        while (len > 0) {
            int n = Math.min(len, blockSize - blockFill);
            System.arraycopy(b, off, block, blockFill, n);
            blockFill += n;
            off += n;
            len -= n;
            if (blockFill == blockSize) {
                // Whether this full block is the last one is only known at finish(); an empty final block follows.
                submit(false);
            }
        }
    }

    /** Bytes written so far, before compression. */
    public long uncompressedBytes() {
        return uncompressedBytes;
    }

    /** Writes the blocks already compressed; never cuts the current block, so it does not change the output. */
    @Override
    public void flush() throws IOException {
        if (closed) {
            return;
        }
        while (!inFlight.isEmpty() && inFlight.peekFirst().isDone()) {
            writeNext();
        }
        out.flush();
    }

    /** Compresses what is left, writes the trailer, and stops the workers; does not close the underlying stream. */
    public void finish() throws IOException {
        if (finished) {
            return;
        }
        ensureOpen();
        finished = true;
        try {
            submit(true);
            while (!inFlight.isEmpty()) {
                writeNext();
            }
            writeTrailer();
            out.flush();
        } finally {
            stopWorkers();
        }
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        try (out) {
            finish();
        } finally {
            closed = true;
            stopWorkers();
        }
    }

    private void submit(boolean last) throws IOException {
        byte[] input = block;
        int length = blockFill;
        byte[] preset = dictionary;
        inFlight.addLast(workers.submit(() -> compress(input, length, preset, last)));
        if (!last) {
            // Copied now: the block itself goes back to the pool as soon as its own task is done.
            dictionary = Arrays.copyOfRange(input, length - WINDOW, length);
            byte[] recycled = freeInputs.poll();
            block = recycled != null ? recycled : new byte[blockSize];
        } else {
            block = null;
        }
        blockFill = 0;
        // Back-pressure: memory stays bounded by the blocks in flight, whatever the stream's length.
        while (inFlight.size() >= maxInFlight) {
            writeNext();
        }
    }

    private void writeNext() throws IOException {
        Compressed compressed = await(inFlight.removeFirst());
        out.write(compressed.bytes(), 0, compressed.length());
        freeOutputs.offer(compressed.bytes());
    }

    private record Compressed(byte[] bytes, int length) {}

    private Compressed compress(byte[] input, int length, byte[] dictionary, boolean last) {
        Deflater deflater = deflaters.poll();
        if (deflater == null) {
            deflater = new Deflater(level, true);
        }
        try {
            if (dictionary != null) {
                deflater.setDictionary(dictionary);
            }
            deflater.setInput(input, 0, length);
            byte[] output = freeOutputs.poll();
            if (output == null) {
                output = new byte[blockSize + blockSize / 256 + 64]; // above zlib's bound; grown below if ever needed
            }
            int produced = 0;
            if (last) {
                deflater.finish();
                while (!deflater.finished()) {
                    if (produced == output.length) {
                        output = Arrays.copyOf(output, output.length * 2);
                    }
                    produced += deflater.deflate(output, produced, output.length - produced, Deflater.NO_FLUSH);
                }
            } else {
                // A sync flush is complete once it leaves room in the output buffer (Deflater's contract).
                while (true) {
                    if (produced == output.length) {
                        output = Arrays.copyOf(output, output.length * 2);
                    }
                    int room = output.length - produced;
                    int n = deflater.deflate(output, produced, room, Deflater.SYNC_FLUSH);
                    produced += n;
                    if (n < room) {
                        break;
                    }
                }
            }
            return new Compressed(output, produced);
        } finally {
            deflater.reset(); // drops its reference to the input before the input is handed out again
            if (!deflaters.offer(deflater)) {
                deflater.end();
            }
            freeInputs.offer(input);
        }
    }

    private static Compressed await(Future<Compressed> compressed) throws IOException {
        try {
            return compressed.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for gzip compression");
        } catch (ExecutionException e) {
            throw new IOException("gzip compression failed: " + e.getCause(), e.getCause());
        }
    }

    private void writeTrailer() throws IOException {
        long value = crc.getValue();
        long size = uncompressedBytes & 0xffffffffL; // ISIZE is the length modulo 2^32 (RFC 1952)
        byte[] trailer = new byte[8];
        for (int i = 0; i < 4; i++) {
            trailer[i] = (byte) (value >>> (8 * i));
            trailer[4 + i] = (byte) (size >>> (8 * i));
        }
        out.write(trailer);
    }

    private void stopWorkers() {
        if (!workers.isShutdown()) {
            inFlight.forEach(f -> f.cancel(true));
            inFlight.clear();
            workers.shutdownNow();
        }
        Deflater d;
        while ((d = deflaters.poll()) != null) {
            d.end();
        }
        freeInputs.clear();
        freeOutputs.clear();
    }

    private void ensureOpen() throws IOException {
        if (closed || finished) {
            throw new IOException("gzip stream is already " + (closed ? "closed" : "finished"));
        }
    }
}
