package dev.kastor.bridge.tunnel.server;

import dev.kastor.bridge.agents.Hashes;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.bridge.observability.RefusalLog;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Logs each refused agent token, never the token: the peer address, the first 8 hex digits of the token's SHA-256
 * (what KAS stores, so an operator can tell which of the tokens they hold it was: {@code sha256sum} of it) and why;
 * at most one line per peer host and reason an interval ({@link RefusalLog}).
 */
public final class RefusedTokenLog {
    private final RefusalLog refusals;

    public RefusedTokenLog(JsonLog log, Duration interval) {
        this(log, interval, System::nanoTime);
    }

    /** As above, reading the time from {@code nanoTime} (tests move it instead of waiting out the interval). */
    RefusedTokenLog(JsonLog log, Duration interval, LongSupplier nanoTime) {
        this.refusals = new RefusalLog(log, "agent token refused", interval, nanoTime);
    }

    /** A refusal of {@code token} (null when none was sent) from {@code peer}, for {@code reason}. */
    public void refused(SocketAddress peer, String token, String reason) {
        refusals.refused(peer, reason, token == null || token.isEmpty() ? Map.of()
                : Map.of("token_sha256_prefix", Hashes.sha256(token).substring(0, 8)));
    }
}
