package dev.kastor.oci.artifact;

import dev.kastor.oci.Digest;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;

/** Hashes and counts what passes through, so a layer's digest needs no second read. Never closes the delegate. */
final class HashingOutputStream extends FilterOutputStream {
    private final MessageDigest sha256 = Digest.sha256();
    private long count;

    HashingOutputStream(OutputStream out) {
        super(out);
    }

    @Override
    public void write(int b) throws IOException {
        out.write(b);
        sha256.update((byte) b);
        count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
        sha256.update(b, off, len);
        count += len;
    }

    /** Flushes only: the stream belongs to whoever opened it. */
    @Override
    public void close() throws IOException {
        out.flush();
    }

    long count() {
        return count;
    }

    Digest digest() {
        return Digest.of(sha256);
    }
}
