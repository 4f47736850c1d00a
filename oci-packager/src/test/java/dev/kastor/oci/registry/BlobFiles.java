package dev.kastor.oci.registry;

import dev.kastor.oci.Scratch;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Test helper: a {@link BlobSink} that writes a download to a file, for the tests that look at the bytes fetched. */
final class BlobFiles {
    private BlobFiles() {}

    /**
     * Writes the blob beside {@code target} and moves it there once the stream ended, which it does only after the
     * size and digest were verified: {@code target} exists afterwards only with verified bytes, nothing else is left.
     */
    static BlobSink<Path> to(Path target) {
        return in -> {
            Files.createDirectories(target.getParent());
            try (Scratch temp = Scratch.track(Files.createTempFile(target.getParent(), "." + target.getFileName(), ".part"))) {
                try (OutputStream out = Files.newOutputStream(temp.path())) {
                    in.transferTo(out);
                }
                Files.move(temp.path(), target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
            return target;
        };
    }
}
