package dev.kastor.oci.registry;

import dev.kastor.oci.InvalidInputException;
import dev.kastor.oci.Progress;
import dev.kastor.oci.auth.ResolvedCredentials;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * How to talk to one registry. Build with {@link #builder()}; defaults: https with the JDK's trust store, anonymous,
 * {@link RetryPolicy#DEFAULT}, blobs up to 1 GiB uploaded in one request, no progress, 60 s connect and idle timeout, retries not announced.
 */
public record RegistryOptions(
        boolean insecure,
        Path caFile,
        ResolvedCredentials credentials,
        RetryPolicy retry,
        long chunkSize,
        Progress progress,
        Duration timeout,
        Consumer<String> notices) {
    /**
     * A layer goes up in one request, as docker and containerd send it: each chunk of a chunked upload waits for the
     * registry to store it before the next one starts, which cost a fifth of the throughput with 32 MiB chunks.
     * Chunks remain for blobs beyond what one request should carry.
     */
    public static final long DEFAULT_CHUNK_SIZE = 1L << 30;

    public RegistryOptions {
        Objects.requireNonNull(credentials, "credentials");
        Objects.requireNonNull(retry, "retry");
        Objects.requireNonNull(progress, "progress");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(notices, "notices");
        if (chunkSize < 1) {
            throw new IllegalArgumentException("chunk size must be positive");
        }
        if (insecure && caFile != null) {
            throw new InvalidInputException("--insecure-registry (plain http) and --ca-file do not go together: a CA file is for https");
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private boolean insecure;
        private Path caFile;
        private ResolvedCredentials credentials = ResolvedCredentials.anonymous();
        private RetryPolicy retry = RetryPolicy.DEFAULT;
        private long chunkSize = DEFAULT_CHUNK_SIZE;
        private Progress progress = Progress.NONE;
        private Duration timeout = Duration.ofSeconds(60);
        private Consumer<String> notices = notice -> {};

        private Builder() {}

        /** Plain http instead of https: for a registry on localhost or in a trusted network only. */
        public Builder insecure(boolean value) {
            this.insecure = value;
            return this;
        }

        /** PEM file with the CA (or self-signed certificate) the registry's TLS certificate chains to. */
        public Builder caFile(Path value) {
            this.caFile = value;
            return this;
        }

        public Builder credentials(ResolvedCredentials value) {
            this.credentials = Objects.requireNonNull(value);
            return this;
        }

        public Builder retry(RetryPolicy value) {
            this.retry = value;
            return this;
        }

        /** Blobs larger than this are uploaded in chunks of this size; smaller ones in one PUT. */
        public Builder chunkSize(long value) {
            this.chunkSize = value;
            return this;
        }

        public Builder progress(Progress value) {
            this.progress = value;
            return this;
        }

        /** Connect timeout, and how long a request may go without moving a byte before it is abandoned (and retried). */
        public Builder timeout(Duration value) {
            this.timeout = value;
            return this;
        }

        /** Where retries are announced ("… 503 Service Unavailable; attempt 2 of 5 in 1.2 s"), so a CI log shows why a push is slow. */
        public Builder notices(Consumer<String> value) {
            this.notices = value;
            return this;
        }

        public RegistryOptions build() {
            return new RegistryOptions(insecure, caFile, credentials, retry, chunkSize, progress, timeout, notices);
        }
    }
}
