package dev.kastor.oci.registry;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Interrupts the thread that opened it when no byte has moved for too long. oras' transport only bounds the
 * connect, so a registry (or proxy) that takes a request and then goes silent would otherwise hold a CI job until
 * GitLab's job timeout. Progress, not total time, is what counts: a large upload may take minutes.
 */
final class IdleWatchdog implements AutoCloseable {
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "kastor-registry-watchdog");
        t.setDaemon(true);
        return t;
    });

    private final Thread owner = Thread.currentThread();
    private final long idleNanos;
    private final ScheduledFuture<?> check;
    private volatile long lastProgress = System.nanoTime();
    private volatile boolean fired;
    private boolean closed;

    IdleWatchdog(Duration idle) {
        this.idleNanos = idle.toNanos();
        long period = Math.max(10, Math.min(1000, idle.toMillis() / 4));
        this.check = TIMER.scheduleAtFixedRate(this::check, period, period, TimeUnit.MILLISECONDS);
    }

    /** Bytes moved: the request is alive. Called from any thread (the HTTP client reads upload bodies on its own). */
    void progress() {
        lastProgress = System.nanoTime();
    }

    /** Whether this watchdog interrupted the owner: the failure it caused is a silent registry, not a user interrupt. */
    boolean fired() {
        return fired;
    }

    /** A stream whose reads count as progress. */
    InputStream watch(InputStream in) {
        return in == null ? null : new FilterInputStream(in) {
            @Override
            public int read() throws IOException {
                int b = super.read();
                progress();
                return b;
            }

            @Override
            public int read(byte[] buf, int off, int len) throws IOException {
                int n = super.read(buf, off, len);
                progress();
                return n;
            }
        };
    }

    private synchronized void check() {
        if (!closed && !fired && System.nanoTime() - lastProgress > idleNanos) {
            fired = true;
            owner.interrupt();
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        check.cancel(false);
        if (fired) {
            Thread.interrupted(); // the interrupt was ours; the caller reports the silence instead
        }
    }
}
