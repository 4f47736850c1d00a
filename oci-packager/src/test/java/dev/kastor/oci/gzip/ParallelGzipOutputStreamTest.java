package dev.kastor.oci.gzip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ParallelGzipOutputStreamTest {
    private static final int SMALL_BLOCK = 64 * 1024;

    @TempDir
    Path tmp;

    @Test
    void outputIsByteIdenticalWhateverTheThreadCount() throws IOException {
        byte[] input = mixedContent(3 * 1024 * 1024 + 12345, 1);

        byte[] one = gzip(input, 6, 1, SMALL_BLOCK);
        byte[] two = gzip(input, 6, 2, SMALL_BLOCK);
        byte[] four = gzip(input, 6, 4, SMALL_BLOCK);

        assertThat(two).isEqualTo(one);
        assertThat(four).isEqualTo(one);
        assertThat(gunzip(one)).isEqualTo(input);
    }

    @Test
    void outputDoesNotDependOnHowTheCallerSlicesItsWritesOrWhenItFlushes() throws IOException {
        byte[] input = mixedContent(700_000, 2);
        byte[] whole = gzip(input, 6, 2, SMALL_BLOCK);

        var sliced = new ByteArrayOutputStream();
        try (var gz = new ParallelGzipOutputStream(sliced, 6, 3, SMALL_BLOCK)) {
            var random = new Random(7);
            int off = 0;
            while (off < input.length) {
                int n = Math.min(input.length - off, random.nextInt(5000));
                if (n == 1) {
                    gz.write(input[off]);
                } else {
                    gz.write(input, off, n);
                }
                off += n;
                if (random.nextInt(10) == 0) {
                    gz.flush();
                }
            }
        }

        assertThat(sliced.toByteArray()).isEqualTo(whole);
    }

    @Test
    void headerIsFixedSoBytesNeverDependOnTimeOrMachine() throws IOException {
        byte[] out = gzip("hello".getBytes(StandardCharsets.UTF_8), 6, 2, SMALL_BLOCK);

        assertThat(out).startsWith(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff);
    }

    @Test
    void emptyInputGivesAValidEmptyGzip() throws IOException {
        byte[] out = gzip(new byte[0], 6, 2, SMALL_BLOCK);

        assertThat(gunzip(out)).isEmpty();
        assertThat(gzipDecompress(out)).isEmpty();
    }

    @Test
    void inputOfExactlyWholeBlocksRoundTrips() throws IOException {
        byte[] input = mixedContent(4 * SMALL_BLOCK, 3);

        byte[] out = gzip(input, 6, 2, SMALL_BLOCK);

        assertThat(gunzip(out)).isEqualTo(input);
        assertThat(gzipDecompress(out)).isEqualTo(input);
    }

    @Test
    void largeInputRoundTripsThroughJavaAndTheGzipTool() throws IOException {
        byte[] input = mixedContent(20 * 1024 * 1024, 4);

        byte[] out = gzip(input, 6, 4, ParallelGzipOutputStream.DEFAULT_BLOCK_SIZE);

        assertThat(gunzip(out)).isEqualTo(input);
        assertThat(gzipDecompress(out)).isEqualTo(input);
    }

    @Test
    void compressesAboutAsWellAsPlainGzip() throws IOException {
        byte[] input = mixedContent(8 * 1024 * 1024, 5);
        var plain = new ByteArrayOutputStream();
        try (var gz = new GZIPOutputStream(plain)) {
            gz.write(input);
        }

        byte[] parallel = gzip(input, 6, 2, ParallelGzipOutputStream.DEFAULT_BLOCK_SIZE);

        // The preset dictionary keeps the cost of cutting blocks to a fraction of a percent.
        assertThat((double) parallel.length).isLessThan(plain.size() * 1.01);
    }

    @Test
    void everyLevelDecompresses() throws IOException {
        byte[] input = mixedContent(200_000, 6);
        for (int level = 0; level <= 9; level++) {
            assertThat(gunzip(gzip(input, level, 2, SMALL_BLOCK))).as("level %d", level).isEqualTo(input);
        }
    }

    @Test
    void failureOfTheUnderlyingStreamSurfacesAsIOException() {
        OutputStream broken = new OutputStream() {
            int written;

            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                written += len;
                if (written > 100_000) {
                    throw new IOException("disk full");
                }
            }
        };

        assertThatThrownBy(() -> {
                    try (var gz = new ParallelGzipOutputStream(broken, 0, 2, SMALL_BLOCK)) {
                        gz.write(mixedContent(2 * 1024 * 1024, 8));
                    }
                })
                .isInstanceOf(IOException.class)
                .hasMessageContaining("disk full");
    }

    @Test
    void writingAfterCloseIsRefused() throws IOException {
        var gz = new ParallelGzipOutputStream(new ByteArrayOutputStream(), 6, 1, SMALL_BLOCK);
        gz.close();

        assertThatThrownBy(() -> gz.write(1)).isInstanceOf(IOException.class).hasMessageContaining("closed");
    }

    @Test
    void rejectsOptionsThatCannotWork() {
        var sink = new ByteArrayOutputStream();
        assertThatThrownBy(() -> new ParallelGzipOutputStream(sink, 10, 1, SMALL_BLOCK)).hasMessageContaining("level");
        assertThatThrownBy(() -> new ParallelGzipOutputStream(sink, 6, 0, SMALL_BLOCK)).hasMessageContaining("threads");
        assertThatThrownBy(() -> new ParallelGzipOutputStream(sink, 6, 1, 1024)).hasMessageContaining("block size");
    }

    static byte[] gzip(byte[] input, int level, int threads, int blockSize) throws IOException {
        var bytes = new ByteArrayOutputStream();
        try (var gz = new ParallelGzipOutputStream(bytes, level, threads, blockSize)) {
            gz.write(input);
        }
        return bytes.toByteArray();
    }

    static byte[] gunzip(byte[] gz) throws IOException {
        try (var in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
            return in.readAllBytes();
        }
    }

    /** Decompresses with the real gzip tool, the strictest reader at hand. */
    private byte[] gzipDecompress(byte[] gz) throws IOException {
        Path file = Files.write(tmp.resolve("data-" + System.nanoTime() + ".gz"), gz);
        Path plain = tmp.resolve("plain-" + System.nanoTime());
        try {
            Process p = new ProcessBuilder("gzip", "-d", "-c", file.toString())
                    .redirectOutput(plain.toFile())
                    .redirectErrorStream(false)
                    .start();
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as("gzip -d: %s", err).isZero();
            return Files.readAllBytes(plain);
        } catch (InterruptedException e) {
            throw new IOException(e);
        }
    }

    /** Half random bytes, half repetitive text: exercises both stored-like and well-compressing paths. */
    static byte[] mixedContent(int size, long seed) {
        var random = new Random(seed);
        byte[] out = new byte[size];
        int off = 0;
        while (off < size) {
            int n = Math.min(size - off, 1000 + random.nextInt(50_000));
            if (random.nextBoolean()) {
                byte[] r = new byte[n];
                random.nextBytes(r);
                System.arraycopy(r, 0, out, off, n);
            } else {
                byte[] text = ("kind: Deployment\nmetadata:\n  name: app-" + random.nextInt(100) + "\n")
                        .getBytes(StandardCharsets.UTF_8);
                for (int i = 0; i < n; i++) {
                    out[off + i] = text[i % text.length];
                }
            }
            off += n;
        }
        return out;
    }
}
