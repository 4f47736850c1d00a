package dev.kastor.oci.registry;

import dev.kastor.oci.Causes;
import dev.kastor.oci.Descriptor;
import dev.kastor.oci.Digest;
import dev.kastor.oci.Progress;
import dev.kastor.oci.Scratch;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Objects;

/**
 * Streams a blob into a {@link BlobSink} while its sha256 is computed: straight into an extraction, so download and
 * extraction overlap.
 * Never more than the descriptor's size is read: a registry that sends more (an endless body) or less fails the
 * step, and so does one whose bytes do not have the digest. Those checks come before the sink sees the end of the
 * stream, so a sink that keeps its result only at the end keeps nothing that did not match.
 */
final class FetchBlobStep<T> {
    private final Transport transport;
    private final Retry retry;
    private final String repository;
    private final Digest digest;
    private final long size;
    private final BlobSink<T> sink;
    private final Transport.Op op;

    FetchBlobStep(Transport transport, Retry retry, String repository, Descriptor blob, BlobSink<T> sink) {
        this.transport = transport;
        this.retry = retry;
        this.repository = repository;
        this.digest = blob.digest();
        this.size = blob.size();
        this.sink = sink;
        this.op = Transport.Op.pull(repository);
    }

    public T call() {
        return retry.call("the fetch of blob " + digest.shortForm() + " from " + repository, this::attempt);
    }

    private T attempt() {
        var uri = transport.resolve("/v2/" + repository + "/blobs/" + digest);
        Transport.Streamed s = transport.stream(op, uri, Map.of());
        IdleWatchdog watchdog = transport.watchdog();
        try (watchdog; InputStream in = watchdog.watch(s.body())) {
            if (s.status() != 200) {
                byte[] body = in == null ? new byte[0] : in.readNBytes(64 * 1024);
                throw transport.failure(op, "blob " + digest, s.status(), s.headers(), body);
            }
            long total = parseLength(s.headers().get("Content-Length"));
            try (Progress.Transfer transfer = transport.options().progress().begin("pull " + digest.shortForm(), total);
                    SideDigest sha = new SideDigest("kastor-pull-sha256")) {
                var verified = new Verified(in, transfer, watchdog, sha);
                T result = sink.receive(verified);
                verified.requireEnd();
                return result;
            }
        } catch (IOException e) {
            if (watchdog.fired()) {
                throw transport.silence(e);
            }
            throw new UncheckedIOException(e);
        }
    }

    private static long parseLength(String value) {
        try {
            return value == null ? -1 : Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * The body as the sink reads it: counted against the declared size and hashed; its end is reported only after
     * both checks passed. A read from the network that fails is worth another attempt ({@link Retryable}, unchecked,
     * so it passes through a sink unchanged); failures of the sink itself (a full disk) are not.
     */
    private final class Verified extends InputStream {
        private final InputStream in;
        private final Progress.Transfer transfer;
        private final IdleWatchdog watchdog;
        private final SideDigest sha;
        private long received;
        private boolean verified;

        Verified(InputStream in, Progress.Transfer transfer, IdleWatchdog watchdog, SideDigest sha) {
            this.in = in;
            this.sha = sha;
            this.transfer = transfer;
            this.watchdog = watchdog;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, buf.length);
            if (verified) {
                return -1;
            }
            if (len == 0) {
                return 0;
            }
            Scratch.checkNotStopping();
            // The manifest declares the size; a registry cannot make us read more than that (+1 to see it try).
            int n = network(() -> in.read(buf, off, (int) Math.min(len, size + 1 - received)));
            if (n < 0) {
                verify();
                return -1;
            }
            received += n;
            if (received > size) {
                throw sentMore();
            }
            sha.update(buf, off, n);
            transfer.add(n);
            if (received == size) {
                if (network(in::read) >= 0) {
                    throw sentMore();
                }
                verify();
            }
            return n;
        }

        /** A sink that stopped reading early (a tar's zero padding): the rest must still arrive and match. */
        void requireEnd() throws IOException {
            byte[] rest = new byte[64 * 1024];
            while (read(rest, 0, rest.length) >= 0) {
                // counted and hashed by read
            }
        }

        private RegistryException sentMore() {
            return new RegistryException("registry " + transport.host() + " sent more than " + size + " bytes for blob " + digest
                    + " of " + repository + ", whose manifest declares " + size + " bytes: stopped reading, nothing was kept"
                    + " (a broken or hostile registry, or a manifest that lies)", 200);
        }

        private void verify() throws IOException {
            if (verified) {
                return;
            }
            if (received < size) {
                // A body that ends early is a transfer cut short (a proxy, a restarting registry): worth another attempt.
                throw new Retryable("registry " + transport.host() + " sent " + received + " bytes for blob " + digest
                        + " of " + repository + ", whose manifest declares " + size + " bytes: nothing was kept", 0, null, null);
            }
            Digest got = sha.digest();
            if (!got.equals(digest)) {
                throw new RegistryException("registry " + transport.host() + " sent blob " + digest + " of " + repository
                        + " with content whose digest is " + got + ": nothing was kept", 200);
            }
            verified = true;
        }

        private int network(IoRead read) {
            try {
                return read.get();
            } catch (IOException e) {
                if (watchdog.fired()) {
                    throw transport.silence(e);
                }
                throw new Retryable("download broke off: " + Causes.describe(e), 0, null, e);
            }
        }
    }

    @FunctionalInterface
    private interface IoRead {
        int get() throws IOException;
    }
}
