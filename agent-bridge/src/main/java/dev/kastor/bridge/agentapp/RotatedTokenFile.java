package dev.kastor.bridge.agentapp;

import dev.kastor.bridge.observability.Causes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * A service-account token file Kubernetes rotates (projected tokens), read again at most once per {@link #REREAD}
 * as client-go does: reading it for every proxied request cost a file read on each request's path. A failed re-read
 * keeps the token read last (the kubelet writes the file anew, it never leaves it empty for long).
 */
final class RotatedTokenFile implements Supplier<String> {
    static final Duration REREAD = Duration.ofMinutes(1);

    private final Path file;
    private final LongSupplier nanoTime;
    private String token;
    private long readAt;

    RotatedTokenFile(Path file) {
        this(file, System::nanoTime);
    }

    RotatedTokenFile(Path file, LongSupplier nanoTime) {
        this.file = file;
        this.nanoTime = nanoTime;
    }

    @Override
    public synchronized String get() {
        long now = nanoTime.getAsLong();
        if (token != null && now - readAt < REREAD.toNanos()) return token;
        try {
            String t = Files.readString(file).trim();
            if (!t.isEmpty()) {
                token = t;
                readAt = now;
            }
        } catch (IOException e) {
            if (token == null) throw new UncheckedIOException("cannot read the service-account token " + file + ": " + Causes.describe(e), e);
        }
        if (token == null) throw new IllegalStateException("the service-account token file " + file + " is empty");
        return token;
    }
}
