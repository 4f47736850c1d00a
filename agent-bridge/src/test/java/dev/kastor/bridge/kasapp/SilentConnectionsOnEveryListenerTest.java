package dev.kastor.bridge.kasapp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.Bridge;
import dev.kastor.bridge.RedisServer;
import dev.kastor.bridge.api.ApiLimits;
import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.bridge.kubeapi.server.ProxyLimits;
import dev.kastor.bridge.tunnel.TunnelDefaults;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The listeners not covered by {@code IdleClientsAreClosedTest} close connections that never finish their handshake
 * too: the agent port's WebSocket front (before the upgrade), the private API between replicas, and the API port (whose
 * other limits {@code ApiServerLimitsTest} checks). Bounds shortened.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SilentConnectionsOnEveryListenerTest {
    static final Duration HANDSHAKE = Duration.ofMillis(600);
    static final Kas.Tuning TUNING = new Kas.Tuning(ProxyLimits.DEFAULTS, HANDSHAKE,
            new ApiLimits(HANDSHAKE, HANDSHAKE, ApiLimits.DEFAULTS.maxHead(), ApiLimits.DEFAULTS.maxBody(), 20),
            TunnelDefaults.CONNECTIONS_PER_ADDRESS);
    @TempDir
    Path dir;

    /** Opens {@code n} connections that send nothing; each must be closed by the server within the bound (and a margin). */
    static void silentConnectionsAreClosed(int port, int n) throws IOException {
        var sockets = new ArrayList<Socket>();
        long opened = System.nanoTime(); // measured on purpose: when the close comes, against the bound, is what this checks
        for (int i = 0; i < n; i++) {
            var s = new Socket();
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout(20_000);
            sockets.add(s);
        }
        for (Socket s : sockets) {
            try (s) {
                try {
                    while (s.getInputStream().read() >= 0) {
                        // what the server says first (gRPC's HTTP/2 settings), then the close
                    }
                } catch (java.net.SocketException reset) {
                    // a reset is a close too
                }
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - opened);
                assertThat(ms).isBetween(HANDSHAKE.toMillis() - 100, HANDSHAKE.toMillis() + 5000);
            }
        }
    }

    @Test
    void theWebSocketFrontClosesConnectionsThatNeverUpgrade() throws Exception {
        try (var kas = Bridge.tuned(dir, TUNING, new KasConfig.Address("127.0.0.1:0", null, null, null, true, null))) {
            silentConnectionsAreClosed(kas.kas.agentPort(), 10);
        }
    }

    @Test
    void thePrivateApiClosesConnectionsThatNeverFinishTheirHandshake() throws Exception {
        try (var redis = RedisServer.start(); var replica = Bridge.tuned(dir, TUNING, new Bridge.Replica(redis.url()))) {
            silentConnectionsAreClosed(replica.kas.routing().privateApiPort(), 10);
        }
    }

    @Test
    void theApiPortClosesConnectionsThatSayNothing() throws Exception {
        try (var kas = Bridge.tuned(dir, TUNING)) {
            silentConnectionsAreClosed(kas.kas.apiPort(), 10);
        }
    }
}
