package dev.kastor.bridge.kasapp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.Bridge;
import dev.kastor.bridge.RedisServer;
import dev.kastor.bridge.api.ApiLimits;
import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.bridge.kubeapi.server.ProxyLimits;
import dev.kastor.bridge.routing.RoutingDefaults;
import dev.kastor.bridge.tunnel.TunnelDefaults;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * One host cannot take all of the agent port's connections (file descriptors), on gRPC as on the WebSocket front:
 * beyond its limit (4 here) a new connection is closed as it is accepted, those it holds stay, and once it lets go an
 * agent from the same host connects as usual. The private API between replicas has such a bound too (its default).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AgentPortConnectionsPerAddressTest {
    static final int LIMIT = 4;
    static final Kas.Tuning TUNING = new Kas.Tuning(ProxyLimits.DEFAULTS, TunnelDefaults.HANDSHAKE_TIMEOUT, ApiLimits.DEFAULTS, LIMIT);

    @TempDir
    Path dir;

    static Socket connect(int port) throws IOException {
        var s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        return s;
    }

    /** Whether the server closed the connection within a moment: end of stream or reset; false when it stays open. */
    static boolean closedByServer(Socket s) throws IOException {
        s.setSoTimeout(300);
        try {
            while (true) {
                if (s.getInputStream().read() < 0) return true; // gRPC sends its HTTP/2 settings first: read past them
            }
        } catch (SocketTimeoutException open) {
            return false;
        } catch (SocketException reset) {
            return true;
        }
    }

    /** Opens one connection more than the limit: which one is refused depends on the event loops, exactly one is. */
    static void oneOverTheLimitIsClosed(int port) throws IOException {
        oneOverTheLimitIsClosed(port, LIMIT);
    }

    static void oneOverTheLimitIsClosed(int port, int limit) throws IOException {
        List<Socket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i <= limit; i++) sockets.add(connect(port));
            // each looked at on its own thread: an open one takes the whole moment to tell
            try (var threads = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
                var closed = new ArrayList<java.util.concurrent.Future<Boolean>>();
                for (Socket s : sockets) closed.add(threads.submit(() -> closedByServer(s)));
                int n = 0;
                for (var c : closed) if (c.get()) n++;
                assertThat(n).isEqualTo(1);
            } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
                throw new AssertionError(e);
            }
        } finally {
            for (Socket s : sockets) s.close();
        }
    }

    @Test
    void theConfigsConnectionsPerAddressIsTheBound() throws Exception {
        var listener = new KasConfig.Address("127.0.0.1:0", null, null, null, null, null, null, 2);
        try (var bridge = new Bridge(dir, null, listener)) {
            oneOverTheLimitIsClosed(bridge.kas.agentPort(), 2);
        }
    }

    @Test
    void onGrpcAHostBeyondItsLimitIsRefusedAndAnAgentConnectsOnceItLetsGo() throws Exception {
        try (var bridge = Bridge.tuned(dir, TUNING)) {
            oneOverTheLimitIsClosed(bridge.kas.agentPort());
            // the counts were given back: the same host (loopback) still gets an agent in
            var agent = bridge.connectAgent("job-token", 1, URI.create("http://127.0.0.1:1"));
            agent.agent().close();
        }
    }

    @Test
    void onTheWebSocketFrontAHostBeyondItsLimitIsRefused() throws Exception {
        try (var bridge = Bridge.tuned(dir, TUNING, new KasConfig.Address("127.0.0.1:0", null, null, null, true, null))) {
            oneOverTheLimitIsClosed(bridge.kas.agentPort());
        }
    }

    @Test
    void onThePrivateApiBetweenReplicasAHostBeyondItsLimitIsRefused() throws Exception {
        try (var redis = RedisServer.start(); var replica = Bridge.tuned(dir, TUNING, new Bridge.Replica(redis.url()))) {
            oneOverTheLimitIsClosed(replica.kas.routing().privateApiPort(), RoutingDefaults.PRIVATE_API_CONNECTIONS_PER_ADDRESS);
        }
    }
}
