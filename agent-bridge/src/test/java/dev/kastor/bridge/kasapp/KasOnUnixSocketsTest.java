package dev.kastor.bridge.kasapp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kastor.bridge.RedisServer;
import dev.kastor.bridge.api.ApiLimits;
import dev.kastor.bridge.UnixHttp;
import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.bridge.kubeapi.server.ProxyLimits;
import dev.kastor.bridge.observability.JsonLog;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * KAS with its agent port, API port and private API on UNIX sockets (as GitLab's Omnibus runs KAS behind its front
 * proxy): the socket files, what KAS does with what it finds at their paths, and serving over them within the limits
 * TCP clients meet.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KasOnUnixSocketsTest {
    static final String KEY = Base64.getEncoder().encodeToString(new byte[32]);
    static final Duration HANDSHAKE = Duration.ofSeconds(2);
    static final int PER_PEER = 3;
    static final Kas.Tuning TUNING = new Kas.Tuning(ProxyLimits.DEFAULTS, HANDSHAKE,
            new ApiLimits(HANDSHAKE, HANDSHAKE, ApiLimits.DEFAULTS.maxHead(), ApiLimits.DEFAULTS.maxBody(), PER_PEER), PER_PEER);
    static RedisServer redis;

    @TempDir
    Path dir;

    @BeforeAll
    static void startRedis() throws Exception {
        redis = RedisServer.start();
    }

    @AfterAll
    static void stopRedis() throws Exception {
        if (redis != null) redis.close();
    }

    /**
     * A replica's config with the API port at {@code api} and the private API at {@code privateApi}, both UNIX sockets,
     * as is the agent port ({@code agent.socket}).
     */
    KasConfig config(Path api, Path privateApi) throws Exception {
        Path file = dir.resolve("kas.yaml");
        Files.writeString(file, """
                listen:
                  agent: {network: unix, address: agent.socket}
                  api: {network: unix, address: %s}
                  k8s_proxy: {address: "127.0.0.1:0"}
                  private_api: {network: unix, address: %s}
                gitlab: {url: "http://127.0.0.1:1"}
                api_secret_key: %s
                private_api_secret_key: %s
                own_private_api_url: unix://%s
                redis: {url: "%s", key_prefix: unix-test}
                """.formatted(api, privateApi, KEY, KEY, privateApi, redis.url()));
        return KasConfig.load(file, Map.of());
    }

    @Test
    void healthzAnswersOnTheApiSocketWhoseFilesAreOwnerAndGroupOnlyAndGoAtClose() throws Exception {
        Path api = dir.resolve("api.socket");
        Path privateApi = dir.resolve("private-api.socket");
        try (var kas = Kas.start(config(api, privateApi), JsonLog.quiet())) {
            assertThat(UnixHttp.get(api, "/healthz", Map.of())).startsWith("HTTP/1.1 200").endsWith("ok\n");
            assertThat(kas.apiAddress()).isEqualTo(UnixDomainSocketAddress.of(api));
            assertThatThrownBy(kas::apiPort).hasMessageContaining(api.toString()).hasMessageContaining("has no port");
            for (Path socket : new Path[] {api, privateApi, dir.resolve("agent.socket")}) {
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).as(socket.toString()).isEqualTo("rw-rw----");
            }
        }
        assertThat(api).doesNotExist();
        assertThat(privateApi).doesNotExist();
    }

    @Test
    void silentClientsAndOneConnectionTooManyFromLocalPeersAreClosedOnTheSockets() throws Exception {
        Path agent = dir.resolve("agent.socket");
        Path api = dir.resolve("api.socket");
        Path privateApi = dir.resolve("private-api.socket");
        try (var kas = Kas.start(config(api, privateApi), JsonLog.quiet(), TUNING)) {
            long opened = System.nanoTime(); // measured on purpose: when each close comes, against the bound, is what this checks
            var silent = new ArrayList<SocketChannel>();
            for (int i = 0; i < PER_PEER; i++) {
                silent.add(SocketChannel.open(UnixDomainSocketAddress.of(agent)));
                silent.add(SocketChannel.open(UnixDomainSocketAddress.of(api)));
            }
            silent.add(SocketChannel.open(UnixDomainSocketAddress.of(privateApi)));
            // Every peer of a UNIX socket is one host: the next connection to the same listener is over its bound.
            for (Path socket : new Path[] {agent, api}) {
                try (var tooMany = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
                    assertThat(closedAfter(tooMany, opened)).as(socket + ": one connection too many").isLessThan(HANDSHAKE.toMillis() - 500);
                }
            }
            for (SocketChannel ch : silent) {
                try (ch) {
                    assertThat(closedAfter(ch, opened)).as(ch.getRemoteAddress() + ": silent").isBetween(HANDSHAKE.toMillis() - 100, HANDSHAKE.toMillis() + 5000);
                }
            }
        }
    }

    /** Milliseconds from {@code since} until the server closed {@code ch}, read to its end (gRPC first says its HTTP/2 settings). */
    static long closedAfter(SocketChannel ch, long since) {
        var buf = ByteBuffer.allocate(1024);
        try {
            while (ch.read(buf) >= 0) buf.clear();
        } catch (IOException reset) {
            // a reset is a close too
        }
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - since);
    }

    @Test
    void aSocketLeftByACrashedKasIsReplaced() throws Exception {
        Path api = dir.resolve("api.socket");
        try (var crashed = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            crashed.bind(UnixDomainSocketAddress.of(api)); // closing leaves the file, as a killed process does
        }
        assertThat(api).exists();

        try (var kas = Kas.start(config(api, dir.resolve("private-api.socket")), JsonLog.quiet())) {
            assertThat(UnixHttp.get(api, "/healthz", Map.of())).startsWith("HTTP/1.1 200");
        }
    }

    @Test
    void aSocketAnotherProcessListensOnIsRefusedNamingTheKeyAndThePath() throws Exception {
        Path privateApi = dir.resolve("private-api.socket");
        try (var live = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            live.bind(UnixDomainSocketAddress.of(privateApi));

            assertThatThrownBy(() -> Kas.start(config(dir.resolve("api.socket"), privateApi), JsonLog.quiet()))
                    .hasMessageContaining("listen.private_api.address " + privateApi).hasMessageContaining("another process listens");

            try (var client = SocketChannel.open(UnixDomainSocketAddress.of(privateApi))) {
                assertThat(client.isConnected()).as("the other process still has its socket").isTrue();
            }
        }
        assertThat(dir.resolve("api.socket")).as("the API socket bound before is gone with the KAS that failed").doesNotExist();
    }

    @Test
    void aPathThatIsNotASocketIsNeverReplaced() throws Exception {
        Path api = dir.resolve("api.socket");
        Files.writeString(api, "a user's notes");

        assertThatThrownBy(() -> Kas.start(config(api, dir.resolve("private-api.socket")), JsonLog.quiet()))
                .hasMessageContaining("listen.api.address " + api).hasMessageContaining("is not a socket");
        assertThat(api).hasContent("a user's notes");
    }

    @Test
    void aMissingDirectoryIsRefusedNamingIt() throws Exception {
        Path api = dir.resolve("no-such-dir/api.socket");

        assertThatThrownBy(() -> Kas.start(config(api, dir.resolve("private-api.socket")), JsonLog.quiet()))
                .hasMessageContaining("listen.api.address").hasMessageContaining("the directory " + dir.resolve("no-such-dir") + " does not exist");
    }
}
