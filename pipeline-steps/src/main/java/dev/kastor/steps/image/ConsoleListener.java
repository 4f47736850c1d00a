package dev.kastor.steps.image;

import dev.kastor.steps.cli.Console;
import java.util.List;
import java.util.Locale;

/**
 * Renders an image build on the console: jib's lifecycle lines and a progress line at most every two seconds. Shared
 * by {@code kastor image build} and the release's {@code build-images}.
 */
public final class ConsoleListener implements ImageBuilder.Listener {
    private final Console console;
    private long lastProgress = System.nanoTime();

    public ConsoleListener(Console console) {
        this.console = console;
    }

    @Override
    public void log(String line) {
        console.info(line);
    }

    @Override
    public void warn(String line) {
        console.warn(line);
    }

    @Override
    public synchronized void progress(double fraction, List<String> running) {
        long now = System.nanoTime();
        if (now - lastProgress < 2_000_000_000L) return;
        lastProgress = now;
        console.info(String.format(Locale.ROOT, "  %3d%% %s", (int) (fraction * 100),
                running.isEmpty() ? "" : String.join(", ", running.subList(0, Math.min(3, running.size())))));
    }
}
