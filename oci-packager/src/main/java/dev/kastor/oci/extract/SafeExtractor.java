package dev.kastor.oci.extract;

import dev.kastor.oci.KastorException;
import dev.kastor.oci.Scratch;
import dev.kastor.oci.UnsafeArchiveException;
import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Extracts a tar+gzip (a pulled Flux layer) into a directory without trusting it.
 *
 * <p>Refused, each with an {@link UnsafeArchiveException} naming the entry and the rule: absolute names, names
 * whose {@code ..} segments climb out, <b>every</b> symbolic or hard link (Kastor and Flux never put links in an
 * artifact, and refusing them all closes the "write through a link created earlier" class of attacks instead of
 * checking each target), devices and fifos, other entry types, more than {@code maxEntries} entries, and file
 * contents adding up to more than {@code maxBytes}.
 *
 * <p>All or nothing: entries go into a fresh staging directory next to the target (same parent, so moving is a
 * rename) that is moved into place only when the whole archive was read and its gzip checksum verified. A
 * missing target becomes the staging directory; an empty one receives its children; a non-empty one is refused
 * unless {@code overwrite}, in which case each top-level entry of the artifact replaces the entry of the same
 * name in the target (other entries of the target stay). On failure the staging directory is deleted, also when a
 * signal stops the process ({@link Scratch}); staging directories of the same target older than a day, left by a
 * process killed outright, are removed before the next extraction.
 * Files get mode 0644, or 0755 when the archive gave them the owner-execute bit; directories 0755.
 */
public final class SafeExtractor {
    public static final long DEFAULT_MAX_BYTES = 512L * 1024 * 1024;
    public static final int DEFAULT_MAX_ENTRIES = 100_000;
    /** Longer than any pull runs (a CI job's timeout is at most a few hours), so only leftovers are this old. */
    public static final Duration DEFAULT_STALE_AFTER = Duration.ofDays(1);
    /** Headers (names, PAX records) may add this much to the decompressed stream beyond the content limit. */
    static final long METADATA_ALLOWANCE = 64L * 1024 * 1024;

    private static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-r--r--");
    private static final Set<PosixFilePermission> EXECUTABLE = PosixFilePermissions.fromString("rwxr-xr-x");
    private static final Set<PosixFilePermission> DIRECTORY = EXECUTABLE;
    private static final Set<StandardOpenOption> WRITE_OPTIONS =
            EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);

    private final long maxBytes;
    private final int maxEntries;
    private final boolean overwrite;
    private final Duration staleAfter;

    private SafeExtractor(Builder builder) {
        this.staleAfter = builder.staleAfter;
        this.maxBytes = builder.maxBytes;
        this.maxEntries = builder.maxEntries;
        this.overwrite = builder.overwrite;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Defaults: 512 MiB, 100,000 entries, no overwrite. */
    public static SafeExtractor withDefaults() {
        return builder().build();
    }

    /**
     * @param files regular files written
     * @param totalBytes sum of their sizes
     */
    public record Extracted(Path target, int files, long totalBytes) {}

    /**
     * Extracts {@code tarGzip} into {@code target}. The stream is read to its end but not closed.
     *
     * @throws UnsafeArchiveException when an entry breaks a rule; nothing is left behind
     * @throws KastorException when the target is in the way (not a directory, or not empty without overwrite)
     * @throws IOException when reading the stream or writing the disk fails; nothing is left behind
     */
    public Extracted extract(InputStream tarGzip, Path target) throws IOException {
        target = target.toAbsolutePath().normalize();
        if (Files.exists(target)) {
            target = target.toRealPath(); // staging must sit on the same file system as the real directory
        }
        requireUsable(target);
        Path parent = target.getParent();
        Files.createDirectories(parent);
        String prefix = "." + target.getFileName() + ".extract-";
        removeStale(parent, prefix);
        // Tracked: a pull stopped by a signal removes its staging directory too (Scratch's shutdown hook).
        try (Scratch staging = Scratch.track(Files.createTempDirectory(parent, prefix))) {
            Unpacking unpacked = unpack(tarGzip, staging.path());
            Scratch.checkNotStopping();
            place(staging.path(), target);
            return new Extracted(target, unpacked.files.size(), unpacked.bytes);
        }
    }

    /**
     * Staging directories of this target older than {@code staleAfter}: what a pull killed with SIGKILL (or a power
     * cut) left. A younger one may belong to a pull running right now, and stays.
     */
    private void removeStale(Path parent, String prefix) throws IOException {
        Instant cutoff = Instant.now().minus(staleAfter);
        try (DirectoryStream<Path> siblings = Files.newDirectoryStream(parent, p -> p.getFileName().toString().startsWith(prefix))) {
            for (Path p : siblings) {
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)
                        && Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toInstant().isBefore(cutoff)) {
                    Scratch.deleteQuietly(p);
                }
            }
        }
    }

    private void requireUsable(Path target) throws IOException {
        if (!Files.exists(target)) {
            return;
        }
        if (!Files.isDirectory(target)) {
            throw new KastorException(target + " exists and is not a directory: choose another output directory or remove it");
        }
        if (!overwrite && !isEmpty(target)) {
            throw new KastorException(target + " is not empty: pass --overwrite to replace the entries the artifact contains, or choose an empty directory");
        }
    }

    /**
     * One extraction's state. What it wrote is remembered, so the checks against the archive contradicting itself
     * (a file where a directory must go, or the reverse) are lookups instead of a few file system calls per entry:
     * staging holds nothing else.
     */
    private static final class Unpacking {
        final Path staging;
        final Set<Path> directories = new HashSet<>();
        final Set<Path> files = new HashSet<>();
        final boolean posix;
        /** Whether the umask leaves 0755 and 0644 as asked when a file is created with them: then no chmod is needed. */
        final boolean modesKept;
        int entries;
        long bytes;

        Unpacking(Path staging) throws IOException {
            this.staging = staging;
            this.posix = staging.getFileSystem().supportedFileAttributeViews().contains("posix");
            this.modesKept = posix && umaskKeeps(staging);
        }

        private static boolean umaskKeeps(Path staging) throws IOException {
            Path probe = staging.resolve(".kastor-umask-probe");
            try {
                Files.createDirectory(probe, PosixFilePermissions.asFileAttribute(DIRECTORY));
                return Files.getPosixFilePermissions(probe, LinkOption.NOFOLLOW_LINKS).equals(DIRECTORY);
            } finally {
                Files.deleteIfExists(probe);
            }
        }

        /** Creation modes where the file system has them (chmod after creation covers a umask that narrows them). */
        FileAttribute<?>[] created(Set<PosixFilePermission> mode) {
            return posix ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(mode)} : new FileAttribute<?>[0];
        }
    }

    private Unpacking unpack(InputStream tarGzip, Path staging) throws IOException {
        var u = new Unpacking(staging);
        var compressed = new BufferedInputStream(new NonClosing(tarGzip), 65536);
        var inflated = new GZIPInputStream(compressed, 65536) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                if (n < 0) {
                    // The compressed stream to its end too (bytes after the gzip member are ignored, as gzip -d
                    // does): a stream that verifies what it delivers, a download, does so at its end.
                    compressed.transferTo(OutputStream.nullOutputStream());
                }
                return n;
            }
        };
        // Receiving and inflating run a few buffers ahead of the tar parsing and file writing, on another core (and a
        // download hashes on a third: registry.SideDigest).
        try (var ahead = new ReadAhead(inflated, "kastor-extract-read")) {
            unpackEntries(new LimitedInputStream(ahead, maxBytes + METADATA_ALLOWANCE), u);
            return u;
        }
    }

    private void unpackEntries(LimitedInputStream decompressed, Unpacking u) throws IOException {
        Path staging = u.staging;
        var tar = new TarArchiveInputStream(decompressed, "UTF-8");
        byte[] buffer = new byte[128 * 1024];
        TarArchiveEntry entry;
        while ((entry = tar.getNextEntry()) != null) {
            Scratch.checkNotStopping();
            if (++u.entries > maxEntries) {
                throw refuse(entry, "the archive has more than " + maxEntries + " entries");
            }
            Path destination = destination(staging, entry);
            if (entry.isSymbolicLink() || entry.isLink()) {
                throw refuse(entry, "it is a " + (entry.isSymbolicLink() ? "symbolic" : "hard") + " link to " + entry.getLinkName()
                        + ", and links are never extracted (a Flux artifact holds only files and directories)");
            }
            if (entry.isCharacterDevice() || entry.isBlockDevice() || entry.isFIFO()) {
                throw refuse(entry, "it is a device or fifo; only files and directories are extracted");
            }
            if (entry.isDirectory()) {
                if (!destination.equals(staging)) {
                    createDirectories(u, destination, entry);
                }
            } else if (entry.isFile()) {
                if (destination.equals(staging)) {
                    throw refuse(entry, "a file cannot take the place of the target directory");
                }
                long size = entry.getSize();
                if (size > maxBytes - u.bytes) {
                    throw refuse(entry, "its " + size + " bytes would bring the total to " + (u.bytes + size)
                            + " bytes, over the limit of " + maxBytes + "; raise the limit (kastor artifact pull --max-size MIB) only if you trust this artifact");
                }
                createDirectories(u, destination.getParent(), entry);
                u.bytes += writeFile(tar, u, destination, entry, buffer);
            } else {
                throw refuse(entry, "its type is neither file nor directory");
            }
        }
        // Read to the end so that GZIPInputStream checks the trailer: a corrupt layer must not pass silently.
        while (decompressed.read(buffer) >= 0) {
            // zero padding after the tar trailer
        }
    }

    private static Path destination(Path staging, TarArchiveEntry entry) {
        String name = entry.getName();
        if (name.isEmpty() || name.indexOf('\0') >= 0) {
            throw refuse(entry, "its name is empty or contains a NUL character");
        }
        if (name.startsWith("/") || name.startsWith("\\") || name.matches("^[A-Za-z]:.*")) {
            throw refuse(entry, "its path is absolute; archive entries must be relative to the target directory");
        }
        Path resolved;
        try {
            resolved = staging.resolve(name).normalize();
        } catch (InvalidPathException e) {
            throw refuse(entry, "its name is not a valid path here (" + e.getReason() + ")");
        }
        if (!resolved.startsWith(staging)) {
            throw refuse(entry, "its .. segments climb out of the target directory");
        }
        return resolved;
    }

    private static void createDirectories(Unpacking u, Path directory, TarArchiveEntry entry) throws IOException {
        if (u.directories.contains(directory)) {
            return;
        }
        // Staging holds only what this archive wrote, and no links: a non-directory on the way is an earlier file entry.
        for (Path p = directory; p != null && !p.equals(u.staging) && !u.directories.contains(p); p = p.getParent()) {
            if (u.files.contains(p)) {
                throw refuse(entry, "it needs a directory '" + u.staging.relativize(p) + "', but an earlier entry wrote '"
                        + u.staging.relativize(p) + "' as a file; the artifact is inconsistent: rebuild it from a tree where"
                        + " each path is either a file or a directory");
            }
        }
        try {
            Files.createDirectories(directory, u.created(DIRECTORY));
        } catch (FileSystemException e) {
            throw refuse(entry, "directory '" + u.staging.relativize(directory) + "' cannot be created: "
                    + (e.getReason() != null ? e.getReason() : e.getClass().getSimpleName()));
        }
        for (Path p = directory; p != null && !p.equals(u.staging) && u.directories.add(p); p = p.getParent()) {
            if (!u.modesKept) {
                setPermissions(p, DIRECTORY);
            }
        }
    }

    private static long writeFile(TarArchiveInputStream tar, Unpacking u, Path destination, TarArchiveEntry entry, byte[] buffer)
            throws IOException {
        if (u.directories.contains(destination)) {
            throw refuse(entry, "it is a file, but '" + u.staging.relativize(destination) + "' is already a directory (an earlier entry"
                    + " wrote it or something below it); the artifact is inconsistent: rebuild it from a tree where each path is"
                    + " either a file or a directory");
        }
        var mode = (entry.getMode() & 0100) != 0 ? EXECUTABLE : FILE;
        boolean again = !u.files.add(destination); // a tar may hold the same name twice; the last one wins, as with tar -x
        long written = 0;
        // No links ever exist in staging, so opening by name cannot be redirected outside it. Files are created on this
        // thread only: creating them on two threads doubled the kernel's time (measured) and saved no wall time.
        try (SeekableByteChannel out = Files.newByteChannel(destination, WRITE_OPTIONS, u.created(mode))) {
            int n;
            while ((n = tar.read(buffer)) >= 0) {
                ByteBuffer bytes = ByteBuffer.wrap(buffer, 0, n);
                while (bytes.hasRemaining()) {
                    out.write(bytes);
                }
                written += n;
            }
        } catch (FileSystemException e) { // not the archive's read errors: those are the archive's, reported as such
            throw refuse(entry, "it cannot be written: " + (e.getReason() != null ? e.getReason() : e.getClass().getSimpleName()));
        }
        if (again || !u.modesKept) {
            setPermissions(destination, mode);
        }
        return written;
    }

    private void place(Path staging, Path target) throws IOException {
        if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            setPermissions(staging, DIRECTORY);
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            return;
        }
        requireUsable(target); // again: something may have written there while we extracted
        for (Path child : children(staging)) {
            Path destination = target.resolve(child.getFileName().toString());
            if (Files.exists(destination, LinkOption.NOFOLLOW_LINKS)) {
                Scratch.deleteTree(destination);
            }
            Files.move(child, destination, StandardCopyOption.ATOMIC_MOVE);
        }
    }

    private static List<Path> children(Path directory) throws IOException {
        var result = new ArrayList<Path>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory)) {
            stream.forEach(result::add);
        }
        return result;
    }

    private static boolean isEmpty(Path directory) throws IOException {
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory)) {
            return !stream.iterator().hasNext();
        }
    }

    private static void setPermissions(Path path, Set<PosixFilePermission> permissions) throws IOException {
        try {
            Files.setPosixFilePermissions(path, permissions);
        } catch (UnsupportedOperationException e) {
            // Not a POSIX file system: modes do not exist there.
        }
    }

    private static UnsafeArchiveException refuse(TarArchiveEntry entry, String rule) {
        return new UnsafeArchiveException("refusing to extract entry '" + entry.getName() + "': " + rule);
    }

    /** Stops a decompression bomb made of headers or skipped data, which the content limit alone would not see. */
    private static final class LimitedInputStream extends FilterInputStream {
        private final long limit;
        private long count;

        LimitedInputStream(InputStream in, long limit) {
            super(in);
            this.limit = limit;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count(n);
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = super.skip(n);
            count(skipped);
            return skipped;
        }

        private void count(long n) {
            count += n;
            if (count > limit) {
                throw new UnsafeArchiveException("refusing to extract: the archive decompresses to more than " + limit
                        + " bytes; raise the limit (kastor artifact pull --max-size MIB) only if you trust this artifact");
            }
        }
    }

    /** The caller owns the stream. */
    private static final class NonClosing extends FilterInputStream {
        NonClosing(InputStream in) {
            super(in);
        }

        @Override
        public void close() {}
    }

    public static final class Builder {
        private long maxBytes = DEFAULT_MAX_BYTES;
        private int maxEntries = DEFAULT_MAX_ENTRIES;
        private boolean overwrite;
        private Duration staleAfter = DEFAULT_STALE_AFTER;

        private Builder() {}

        /** Staging directories of the same target older than this are removed before extracting (default: a day). */
        public Builder staleAfter(Duration staleAfter) {
            this.staleAfter = staleAfter;
            return this;
        }

        /** Most content bytes (sum of file sizes) to write. */
        public Builder maxBytes(long maxBytes) {
            if (maxBytes < 0) {
                throw new IllegalArgumentException("maxBytes must not be negative");
            }
            this.maxBytes = maxBytes;
            return this;
        }

        public Builder maxEntries(int maxEntries) {
            if (maxEntries < 1) {
                throw new IllegalArgumentException("maxEntries must be at least 1");
            }
            this.maxEntries = maxEntries;
            return this;
        }

        /** Let a non-empty target receive the artifact, replacing entries of the same top-level names. */
        public Builder overwrite(boolean overwrite) {
            this.overwrite = overwrite;
            return this;
        }

        public SafeExtractor build() {
            return new SafeExtractor(this);
        }
    }
}
