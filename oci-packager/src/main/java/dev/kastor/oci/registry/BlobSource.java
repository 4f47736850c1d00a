package dev.kastor.oci.registry;

import dev.kastor.oci.Causes;
import dev.kastor.oci.InvalidInputException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Bytes of a blob, readable from any offset again, since a retry or a chunk re-reads them. */
interface BlobSource {
    long size();

    /** A fresh stream over {@code [offset, offset + length)}. */
    InputStream open(long offset, long length);

    static BlobSource of(Path file) {
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new InvalidInputException("cannot read blob file " + file + ": " + Causes.describe(e), e);
        }
        return new BlobSource() {
            @Override
            public long size() {
                return size;
            }

            @Override
            public InputStream open(long offset, long length) {
                try {
                    FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
                    channel.position(offset);
                    return new BoundedInputStream(Channels.newInputStream(channel), length);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read " + file, e);
                }
            }
        };
    }

    static BlobSource of(byte[] bytes) {
        return new BlobSource() {
            @Override
            public long size() {
                return bytes.length;
            }

            @Override
            public InputStream open(long offset, long length) {
                return new ByteArrayInputStream(bytes, (int) offset, (int) length);
            }
        };
    }

    /** Stops after {@code remaining} bytes: a chunk of a file. */
    final class BoundedInputStream extends InputStream {
        private final InputStream in;
        private long remaining;

        BoundedInputStream(InputStream in, long remaining) {
            this.in = in;
            this.remaining = remaining;
        }

        @Override
        public int read() throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            int b = in.read();
            if (b >= 0) {
                remaining--;
            }
            return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            int n = in.read(buf, off, (int) Math.min(len, remaining));
            if (n > 0) {
                remaining -= n;
            }
            return n;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
