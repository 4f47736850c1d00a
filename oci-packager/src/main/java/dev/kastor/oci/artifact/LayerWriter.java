package dev.kastor.oci.artifact;

import dev.kastor.oci.InvalidInputException;
import dev.kastor.oci.gzip.ParallelGzipOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Writes a {@link SourceTree} as a Flux content layer (tar + gzip) whose bytes depend on nothing but the paths,
 * contents and executable bits: uid/gid 0, empty user and group names, mtime 0, modes 0644/0755, no access or
 * change times, no device numbers; PAX headers only for what ustar cannot hold (long or non-ASCII names, big
 * sizes), and those are deterministic too. Gzip is {@link ParallelGzipOutputStream}, so the thread count never
 * changes the digest.
 */
public final class LayerWriter {
    static final int FILE_MODE = 0644;
    static final int EXECUTABLE_MODE = 0755;
    static final int DIRECTORY_MODE = 0755;
    private static final FileTime EPOCH = FileTime.fromMillis(0);
    private static final int COPY_BUFFER = 256 * 1024;

    private final int gzipLevel;
    private final int gzipThreads;

    public LayerWriter(int gzipLevel, int gzipThreads) {
        if (gzipLevel < 0 || gzipLevel > 9) {
            throw new InvalidInputException("gzip level " + gzipLevel + " is out of range: use 0 (store) to 9 (smallest)");
        }
        if (gzipThreads < 1) {
            throw new InvalidInputException("gzip threads must be at least 1, got " + gzipThreads);
        }
        this.gzipLevel = gzipLevel;
        this.gzipThreads = gzipThreads;
    }

    /** Level 6 on every processor. */
    public LayerWriter() {
        this(ParallelGzipOutputStream.DEFAULT_LEVEL, Runtime.getRuntime().availableProcessors());
    }

    /**
     * Writes the layer to {@code out}, which is flushed but not closed. The returned layer has no path.
     *
     * @throws InvalidInputException when the tree has no files, or a file changed size while being packaged
     */
    public BuiltLayer write(SourceTree tree, OutputStream out) throws IOException {
        if (tree.fileCount() == 0) {
            throw new InvalidInputException("nothing to package: " + tree.description() + " has no files (after ignore rules: "
                    + tree.ignoreSummary() + "); check --path, or the ignore rules");
        }
        var hashing = new HashingOutputStream(out);
        var gzip = new ParallelGzipOutputStream(hashing, gzipLevel, gzipThreads, ParallelGzipOutputStream.DEFAULT_BLOCK_SIZE);
        try (var tar = new TarArchiveOutputStream(gzip, StandardCharsets.UTF_8.name())) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            tar.setAddPaxHeadersForNonAsciiNames(true);
            byte[] buffer = new byte[COPY_BUFFER];
            for (SourceTree.Entry entry : tree.entries()) {
                writeEntry(tar, entry, buffer);
            }
            tar.finish();
            gzip.finish();
        }
        return new BuiltLayer(null, hashing.digest(), hashing.count(), tree.fileCount(), gzip.uncompressedBytes());
    }

    private static void writeEntry(TarArchiveOutputStream tar, SourceTree.Entry entry, byte[] buffer) throws IOException {
        boolean directory = entry.type() == SourceTree.Type.DIRECTORY;
        TarArchiveEntry header = new TarArchiveEntry(directory ? entry.path() + "/" : entry.path());
        header.setMode(directory ? DIRECTORY_MODE : entry.executable() ? EXECUTABLE_MODE : FILE_MODE);
        header.setUserId(0);
        header.setGroupId(0);
        header.setUserName("");
        header.setGroupName("");
        header.setModTime(EPOCH);
        header.setSize(directory ? 0 : entry.size());
        tar.putArchiveEntry(header);
        if (!directory) {
            copy(entry, tar, buffer);
        }
        tar.closeArchiveEntry();
    }

    /** Copies exactly the size the header announced; a file that changed meanwhile would corrupt the archive. */
    private static void copy(SourceTree.Entry entry, OutputStream tar, byte[] buffer) throws IOException {
        try (InputStream in = entry.content().open()) {
            long remaining = entry.size();
            while (remaining > 0) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, remaining));
                if (n < 0) {
                    throw changedSize(entry, entry.size() - remaining);
                }
                tar.write(buffer, 0, n);
                remaining -= n;
            }
            if (in.read() >= 0) {
                throw changedSize(entry, -1);
            }
        }
    }

    private static InvalidInputException changedSize(SourceTree.Entry entry, long now) {
        return new InvalidInputException(entry.path() + " changed while being packaged (it was " + entry.size() + " bytes, now "
                + (now < 0 ? "more" : String.valueOf(now)) + "): package when nothing writes to the tree");
    }
}
