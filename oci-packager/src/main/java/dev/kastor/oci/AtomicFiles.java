package dev.kastor.oci;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/**
 * Files written whole or not at all: into a temporary sibling, then renamed over the target. The temporary file is
 * created as any new file is (mode 0666 less the umask, 0644 under the usual 022), not with
 * {@link Files#createTempFile}'s 0600, so what a user finds (an OCI layout, a dotenv report) is readable as the rest
 * of their files are.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** A name beside {@code target} for writing it: hidden, unique, recognisable as temporary if it stays. */
    public static Path temporarySibling(Path target) {
        return target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + ".tmp");
    }

    /** Writes {@code content} to {@code target}, replacing it atomically; the directory must exist. */
    public static void write(Path target, byte[] content) throws IOException {
        Path tmp = temporarySibling(target);
        try {
            Files.write(tmp, content, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
