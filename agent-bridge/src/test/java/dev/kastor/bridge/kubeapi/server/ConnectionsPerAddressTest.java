package dev.kastor.bridge.kubeapi.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.Bridge;
import dev.kastor.bridge.kubeapi.KubeApiDefaults;
import dev.kastor.bridge.kasapp.Kas;
import dev.kastor.testing.Eventually;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * One client address cannot hold all of KAS's connections (file descriptors): beyond its limit (5 here) a new
 * connection to the k8s proxy is closed at once, the ones it holds keep working, and a freed place is taken again.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConnectionsPerAddressTest {
    @TempDir
    static Path dir;
    static Bridge bridge;

    @BeforeAll
    static void start() throws Exception {
        var d = ProxyLimits.DEFAULTS;
        bridge = Bridge.tuned(dir, new Kas.Tuning(new ProxyLimits(d.requestHead(), d.keepAliveIdle(), d.requestBodyIdle(), d.streamsPerJob(),
                d.streamsPerAddress(), 5), Duration.ofSeconds(20)));
    }

    @AfterAll
    static void stop() {
        if (bridge != null) bridge.close();
    }

    static Socket connect() throws IOException {
        var s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", bridge.kas.k8sProxyPort()), 5000);
        s.setSoTimeout(10_000);
        return s;
    }

    /** Whether the connection is served: a request outside the proxy prefix gets KAS's 404 (then KAS closes it). */
    static boolean served(Socket s) throws IOException {
        s.getOutputStream().write("GET /nowhere HTTP/1.1\r\nHost: kas\r\n\r\n".getBytes(StandardCharsets.UTF_8));
        s.getOutputStream().flush();
        byte[] head = s.getInputStream().readNBytes(12);
        return new String(head, StandardCharsets.ISO_8859_1).equals("HTTP/1.1 404");
    }

    /** Whether the server closed the connection: end of stream (or a reset) within a second; false when it stays open. */
    static boolean closedByServer(Socket s) throws IOException {
        s.setSoTimeout(1000);
        try {
            return s.getInputStream().read() < 0;
        } catch (java.net.SocketTimeoutException open) {
            return false;
        } catch (java.net.SocketException reset) {
            return true;
        }
    }

    @Test
    void ofSixConnectionsFromOneAddressFiveAreKeptAndOneIsClosedAtOnceAndAFreedPlaceIsTakenAgain() throws Exception {
        var sockets = new ArrayList<Socket>();
        try {
            for (int i = 0; i < 6; i++) sockets.add(connect());
            // which one is refused depends on the order the server's event loops see them: exactly one of the six
            var kept = new ArrayList<Socket>();
            int closed = 0;
            for (Socket s : sockets) {
                if (closedByServer(s)) closed++;
                else kept.add(s);
            }
            assertThat(closed).as("closed at once, without a byte read or written").isEqualTo(1);
            assertThat(served(kept.get(0))).as("the five kept still work").isTrue();

            // served() made KAS close that one: its place is free again once KAS has seen the close
            Eventually.until(Duration.ofSeconds(10), () -> "a new connection is served again", () -> {
                try (Socket next = connect()) {
                    return served(next);
                } catch (IOException closedAtOnce) {
                    return false; // not yet
                }
            });
        } finally {
            for (Socket s : sockets) s.close();
        }
        assertThat(KubeApiDefaults.CONNECTIONS_PER_ADDRESS).isGreaterThan(KubeApiDefaults.STREAMS_PER_ADDRESS);
    }
}
