package dev.kastor.bridge.observability;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Warnings about refused callers (a wrong agent token at KAS, a TLS client without KAS's certificate at a receptive
 * agent), rate-limited per peer host and reason: a misconfigured client retries every few seconds and a hostile one as
 * fast as it likes. The first refusal logs at once, later ones within {@code interval} are only counted, and the next
 * line after the interval says how many were left out ({@code suppressed}). The host, not the port, is the key (each
 * retry comes from a new port). At most {@link #MAX_TRACKED} keys are kept; beyond them (many addresses at once)
 * refusals share one key, so the log stays bounded whatever the flood.
 */
public final class RefusalLog {
    public static final int MAX_TRACKED = 4096;
    private static final String OVERFLOW = "*";

    private final JsonLog log;
    private final String message;
    private final long intervalNanos;
    private final LongSupplier nanoTime;
    private final Map<String, Window> windows = new ConcurrentHashMap<>();

    /** Since when a key logs nothing, and how many refusals it left out meanwhile. */
    private static final class Window {
        final long since;
        long suppressed;

        Window(long since) {
            this.since = since;
        }
    }

    /** Each line is a warning {@code message} with the peer, the reason and what the caller adds. */
    public RefusalLog(JsonLog log, String message, Duration interval) {
        this(log, message, interval, System::nanoTime);
    }

    /** As above, reading the time from {@code nanoTime} (tests move it instead of waiting out the interval). */
    public RefusalLog(JsonLog log, String message, Duration interval, LongSupplier nanoTime) {
        this.log = log;
        this.message = message;
        this.intervalNanos = interval.toNanos();
        this.nanoTime = nanoTime;
    }

    /** A refusal of {@code peer} for {@code reason}; {@code details} (never a secret) join the line when it is logged. */
    public void refused(SocketAddress peer, String reason, Map<String, Object> details) {
        String host = peer instanceof InetSocketAddress a && a.getAddress() != null ? a.getAddress().getHostAddress() : String.valueOf(peer);
        long now = nanoTime.getAsLong();
        String key = host + " " + reason;
        if (!windows.containsKey(key) && windows.size() >= MAX_TRACKED) {
            windows.values().removeIf(w -> now - w.since >= intervalNanos);
            if (windows.size() >= MAX_TRACKED) key = OVERFLOW;
        }
        long suppressed;
        synchronized (this) {
            Window w = windows.get(key);
            if (w != null && now - w.since < intervalNanos) {
                w.suppressed++;
                return;
            }
            suppressed = w == null ? 0 : w.suppressed;
            windows.put(key, new Window(now));
        }
        var fields = new LinkedHashMap<String, Object>();
        fields.put("peer", String.valueOf(peer));
        fields.put("reason", reason);
        fields.putAll(details);
        fields.put("suppressed", suppressed);
        if (key.equals(OVERFLOW)) fields.put("note", "refusals from more than " + MAX_TRACKED + " addresses are logged together");
        log.warn(message, fields);
    }
}
