package dev.kastor.bridge.tunnel.server;

import dev.kastor.bridge.agents.Hashes;
import dev.kastor.bridge.observability.JsonLog;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Logs each refused agent token, never the token: the peer address, the first 8 hex digits of the token's SHA-256
 * (what KAS stores, so an operator can tell which of the tokens they hold it was: {@code sha256sum} of it) and why.
 *
 * <p>Rate-limited per peer host and reason, because a misconfigured agent retries every few seconds and a hostile
 * client can retry as fast as it likes: the first refusal logs at once, later ones within {@code interval} are only
 * counted, and the next line after the interval says how many were left out ({@code suppressed}). The host, not the
 * port, is the key (each retry comes from a new port). At most {@link #MAX_TRACKED} keys are kept; beyond them (many
 * addresses at once) refusals share one key, so the log stays bounded whatever the flood.
 */
public final class RefusedTokenLog {
    static final int MAX_TRACKED = 4096;
    private static final String OVERFLOW = "*";

    private final JsonLog log;
    private final long intervalNanos;
    private final LongSupplier nanoTime;
    private final Map<String, Window> windows = new ConcurrentHashMap<>();

    /** Since when a key logs nothing, and how many refusals it left out meanwhile. */
    private static final class Window {
        long since;
        long suppressed;

        Window(long since) {
            this.since = since;
        }
    }

    public RefusedTokenLog(JsonLog log, Duration interval) {
        this(log, interval, System::nanoTime);
    }

    /** As above, reading the time from {@code nanoTime} (tests move it instead of waiting out the interval). */
    RefusedTokenLog(JsonLog log, Duration interval, LongSupplier nanoTime) {
        this.log = log;
        this.intervalNanos = interval.toNanos();
        this.nanoTime = nanoTime;
    }

    /** A refusal of {@code token} (null when none was sent) from {@code peer}, for {@code reason}. */
    public void refused(SocketAddress peer, String token, String reason) {
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
        if (token != null && !token.isEmpty()) fields.put("token_sha256_prefix", Hashes.sha256(token).substring(0, 8));
        fields.put("suppressed", suppressed);
        if (key.equals(OVERFLOW)) fields.put("note", "refusals from more than " + MAX_TRACKED + " addresses are logged together");
        log.warn("agent token refused", fields);
    }
}
