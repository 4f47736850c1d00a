package dev.kastor.oci.registry;

import dev.kastor.oci.Causes;
import dev.kastor.oci.Descriptor;
import dev.kastor.oci.Digest;
import dev.kastor.oci.KastorException;
import dev.kastor.oci.Progress;
import dev.kastor.oci.Scratch;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.Map;

/**
 * Streams a blob into a file: written to a temporary file next to the target, its sha256 checked while writing,
 * then moved into place. Never more than the descriptor's size is read: a registry that sends more (an endless body)
 * or less fails the step. A mismatch or a failure leaves nothing behind, so a present target is always verified.
 */
public final class FetchBlobStep {
    private final Transport transport;
    private final Retry retry;
    private final String repository;
    private final Digest digest;
    private final long size;
    private final Path target;
    private final Transport.Op op;

    FetchBlobStep(Transport transport, Retry retry, String repository, Descriptor blob, Path target) {
        this.transport = transport;
        this.retry = retry;
        this.repository = repository;
        this.digest = blob.digest();
        this.size = blob.size();
        this.target = target.toAbsolutePath();
        this.op = Transport.Op.pull(repository);
    }

    public void call() {
        retry.call("the fetch of blob " + digest.shortForm() + " from " + repository, () -> {
            attempt();
            return null;
        });
    }

    private void attempt() {
        var uri = transport.resolve("/v2/" + repository + "/blobs/" + digest);
        Transport.Streamed s = transport.stream(op, uri, Map.of());
        Path temp = null;
        Scratch scratch = null;
        IdleWatchdog watchdog = transport.watchdog();
        try (watchdog; InputStream in = watchdog.watch(s.body())) {
            if (s.status() != 200) {
                byte[] body = in == null ? new byte[0] : in.readNBytes(64 * 1024);
                throw transport.failure(op, "blob " + digest, s.status(), s.headers(), body);
            }
            Files.createDirectories(target.getParent());
            temp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".part");
            scratch = Scratch.track(temp);
            MessageDigest sha = Digest.sha256();
            long total = parseLength(s.headers().get("Content-Length"));
            try (Progress.Transfer transfer = transport.options().progress().begin("pull " + digest.shortForm(), total);
                    OutputStream out = Files.newOutputStream(temp)) {
                // The manifest declares the size; a registry cannot make us write more than that (+1 to see it try).
                byte[] buf = new byte[64 * 1024];
                long received = 0;
                for (int n; received <= size && (n = in.read(buf, 0, (int) Math.min(buf.length, size + 1 - received))) > 0; ) {
                    received += n;
                    if (received > size) {
                        throw new RegistryException("registry " + transport.host() + " sent more than " + size + " bytes for blob "
                                + digest + " of " + repository + ", whose manifest declares " + size + " bytes: stopped reading,"
                                + " nothing was written to " + target + " (a broken or hostile registry, or a manifest that lies)", 200);
                    }
                    Scratch.checkNotStopping();
                    sha.update(buf, 0, n);
                    out.write(buf, 0, n);
                    transfer.add(n);
                }
                if (received < size) {
                    throw new RegistryException("registry " + transport.host() + " sent " + received + " bytes for blob " + digest
                            + " of " + repository + ", whose manifest declares " + size + " bytes: nothing was written to " + target, 200);
                }
            }
            Digest got = Digest.of(sha);
            if (!got.equals(digest)) {
                throw new RegistryException("registry " + transport.host() + " sent blob " + digest + " of " + repository
                        + " with content whose digest is " + got + ": nothing was written to " + target, 200);
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            temp = null;
        } catch (IOException e) {
            if (watchdog.fired()) {
                throw transport.silence(e);
            }
            // A connection broken mid-body is worth another attempt; a local disk problem is reported as such below.
            if (temp != null && e instanceof FileSystemException) {
                throw new KastorException("cannot write " + target + ": " + Causes.describe(e), e);
            }
            throw new Retryable("download broke off: " + Causes.describe(e), 0, null, e);
        } finally {
            if (scratch != null) {
                scratch.close(); // deletes the .part file unless it was moved into place
            }
        }
    }

    private static long parseLength(String value) {
        try {
            return value == null ? -1 : Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
