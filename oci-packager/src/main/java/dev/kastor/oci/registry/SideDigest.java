package dev.kastor.oci.registry;

import dev.kastor.oci.Digest;
import java.io.InterruptedIOException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * The sha256 of a download, computed on a thread of its own from copies of the bytes, in order. Hashing under the
 * kastor command's JIT (C1, which has no SHA-256 intrinsic: ~127 MB/s) took as long as inflating the layer, on the
 * same thread; beside it, it costs the receiving thread only a copy. At most {@link #AHEAD} chunks wait.
 */
final class SideDigest implements AutoCloseable {
    private static final int AHEAD = 8;
    private static final byte[] END = new byte[0];

    private final BlockingQueue<byte[]> chunks = new ArrayBlockingQueue<>(AHEAD);
    private final CompletableFuture<Digest> digest = new CompletableFuture<>();
    private final Thread thread;

    SideDigest(String name) {
        this.thread = Thread.ofPlatform().daemon().name(name).start(this::hash);
    }

    private void hash() {
        MessageDigest sha = Digest.sha256();
        try {
            for (byte[] chunk; (chunk = chunks.take()) != END; ) {
                sha.update(chunk);
            }
            digest.complete(Digest.of(sha));
        } catch (InterruptedException stopped) {
            digest.cancel(false);
        }
    }

    void update(byte[] bytes, int off, int len) throws InterruptedIOException {
        put(Arrays.copyOfRange(bytes, off, off + len));
    }

    /** The digest of everything given to {@link #update}; waits for the hashing to catch up. */
    Digest digest() throws InterruptedIOException {
        put(END);
        try {
            return digest.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while the download's sha256 was computed");
        } catch (ExecutionException | CancellationException e) {
            throw new IllegalStateException("the sha256 of the download was not computed", e);
        }
    }

    private void put(byte[] chunk) throws InterruptedIOException {
        try {
            chunks.put(chunk);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while the download was hashed");
        }
    }

    @Override
    public void close() {
        thread.interrupt();
    }
}
