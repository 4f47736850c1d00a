package dev.kastor.steps.cli;

import dev.kastor.oci.Progress;
import dev.kastor.steps.log.StepLog;
import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Everything a command prints besides its result: log lines and warnings on stderr, GitLab collapsible sections
 * for long phases, and a progress line for transfers over a few MiB. Results (summary or JSON) go to stdout. As a
 * {@link StepLog} it renders what the engine's steps report.
 */
public final class Console implements StepLog {
    private static final long PROGRESS_THRESHOLD = 4L << 20;
    private static final long PROGRESS_INTERVAL_NANOS = 1_000_000_000L;

    private final PrintStream err;
    private final boolean gitlab;
    private final boolean quiet;

    public Console(Context ctx, boolean quiet) {
        this.err = ctx.err();
        this.gitlab = ctx.inGitLabCi();
        this.quiet = quiet;
    }

    @Override
    public void info(String line) {
        if (!quiet) err.println(line);
    }

    @Override
    public void warn(String line) {
        err.println("warning: " + line);
    }

    /**
     * Opens a phase; in GitLab CI it is a collapsible section (section_start/section_end markers), elsewhere a
     * plain heading. Close it with try-with-resources.
     */
    public Section section(String id, String title) {
        return new Section(id, title);
    }

    public final class Section implements AutoCloseable {
        private final String id;
        private final long startNanos = System.nanoTime();

        private Section(String id, String title) {
            this.id = "kastor_" + id;
            if (quiet) return;
            if (gitlab) {
                err.printf("\u001b[0Ksection_start:%d:%s[collapsed=true]\r\u001b[0K%s%n", epochSeconds(), this.id, title);
            } else {
                err.println("==> " + title);
            }
        }

        @Override
        public void close() {
            if (quiet) return;
            if (gitlab) {
                err.printf("\u001b[0Ksection_end:%d:%s\r\u001b[0K%n", epochSeconds(), id);
            }
        }

        public double seconds() {
            return (System.nanoTime() - startNanos) / 1e9;
        }
    }

    private static long epochSeconds() {
        return System.currentTimeMillis() / 1000;
    }

    /** Progress lines for transfers larger than a few MiB, at most one a second, and one when done. */
    public Progress progress() {
        if (quiet) return Progress.NONE;
        return (label, total) -> total >= 0 && total < PROGRESS_THRESHOLD ? Progress.Transfer.NONE : new Line(label, total);
    }

    private final class Line implements Progress.Transfer {
        private final String label;
        private final long total;
        private final long start = System.nanoTime();
        private final AtomicLong done = new AtomicLong();
        private final AtomicLong lastPrint = new AtomicLong(System.nanoTime());

        Line(String label, long total) {
            this.label = label;
            this.total = total;
        }

        @Override
        public void add(long bytes) {
            long now = System.nanoTime();
            long sofar = done.addAndGet(bytes);
            long last = lastPrint.get();
            if (now - last >= PROGRESS_INTERVAL_NANOS && lastPrint.compareAndSet(last, now)) {
                print(sofar, now);
            }
        }

        @Override
        public void close() {
            print(done.get(), System.nanoTime());
        }

        private void print(long sofar, long now) {
            double secs = Math.max((now - start) / 1e9, 1e-3);
            String of = total > 0 ? String.format(Locale.ROOT, "/%s %3d%%", size(total), (int) (100 * sofar / total)) : "";
            err.printf(Locale.ROOT, "  %s %s%s %s/s%n", label, size(sofar), of, size((long) (sofar / secs)));
        }
    }

    public static String size(long bytes) {
        if (bytes < 1024) return bytes + " B";
        if (bytes < 1024 * 1024) return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        if (bytes < 1024L * 1024 * 1024) return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
        return String.format(Locale.ROOT, "%.2f GiB", bytes / 1073741824.0);
    }
}
