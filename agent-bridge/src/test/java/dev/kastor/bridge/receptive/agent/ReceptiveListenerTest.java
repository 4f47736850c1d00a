package dev.kastor.bridge.receptive.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.testing.Eventually;
import dev.kastor.testing.SelfSignedCert;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.local.LocalChannel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's listener for KAS, over real sockets: a caller with a client certificate of {@code --listen-client-ca}
 * becomes the transport of the agent's gRPC client (it receives the client's HTTP/2 preface, and would then receive the
 * agent's token); a caller without one, or with one of another CA, is refused at the TLS handshake, logged once with
 * its address, and receives not one byte from gRPC, while the gRPC client is waiting for a transport.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReceptiveListenerTest {
    private static final String HTTP2_PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

    @TempDir
    static Path dir;
    static SelfSignedCert agentCert;
    static SelfSignedCert kasClient;
    static SelfSignedCert stranger;
    static ByteArrayOutputStream logs = new ByteArrayOutputStream();
    static ReceptiveListener listener;
    static ManagedChannel grpc;

    @BeforeAll
    static void start() throws Exception {
        agentCert = SelfSignedCert.create(dir, "agent");
        kasClient = SelfSignedCert.create(dir, "kas-client");
        stranger = SelfSignedCert.create(dir, "stranger");
        var log = new JsonLog(new PrintStream(logs, true, StandardCharsets.UTF_8), "agent");
        listener = ReceptiveListener.start(new ListenSettings(new InetSocketAddress("127.0.0.1", 0), agentCert.certPem().toFile(),
                agentCert.keyPem().toFile(), kasClient.certPem().toFile()), log, Duration.ZERO);
        grpc = NettyChannelBuilder.forAddress(listener.address()).channelType(LocalChannel.class).eventLoopGroup(listener.eventLoops())
                .overrideAuthority("kastor-kas").usePlaintext().build();
    }

    @AfterAll
    static void stop() {
        if (grpc != null) grpc.shutdownNow();
        if (listener != null) listener.close();
    }

    @Test
    void kasWithItsClientCertificateBecomesTheTransportOfTheAgentsGrpcClient() throws Exception {
        try (SSLSocket kas = connect(kasClient)) {
            kas.startHandshake();
            grpcWantsATransport();
            assertThat(new String(kas.getInputStream().readNBytes(HTTP2_PREFACE.length()), StandardCharsets.US_ASCII)).isEqualTo(HTTP2_PREFACE);
        }
    }

    @Test
    void aCallerWithoutAClientCertificateIsRefusedAndReceivesNothingFromGrpc() throws Exception {
        assertRefused(null);
    }

    @Test
    void aCallerWithACertificateOfAnotherCaIsRefusedAndReceivesNothingFromGrpc() throws Exception {
        assertRefused(stranger);
    }

    @Test
    void aHostRefusedAgainAndAgainIsLoggedOnceAMinute() throws Exception {
        var flood = new ByteArrayOutputStream();
        var log = new JsonLog(new PrintStream(flood, true, StandardCharsets.UTF_8), "agent");
        try (var own = ReceptiveListener.start(new ListenSettings(new InetSocketAddress("127.0.0.1", 0), agentCert.certPem().toFile(),
                agentCert.keyPem().toFile(), kasClient.certPem().toFile()), log)) {
            for (int i = 0; i < 5; i++) {
                try (SSLSocket caller = connect(own.port(), stranger)) {
                    readAll(caller);
                }
            }
        }
        assertThat(flood.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains("refused a caller")).toList())
                .singleElement().asString().contains("\"suppressed\":0");
    }

    private static void assertRefused(SelfSignedCert clientCert) throws Exception {
        grpcWantsATransport();
        int port;
        byte[] received;
        try (SSLSocket caller = connect(clientCert)) {
            port = caller.getLocalPort();
            received = readAll(caller);
        }
        assertThat(new String(received, StandardCharsets.US_ASCII)).doesNotContain("PRI");
        String peer = "127.0.0.1:" + port;
        Eventually.until(Duration.ofSeconds(10), () -> "the refusal of " + peer + " logged", () -> logs.toString(StandardCharsets.UTF_8).contains(peer));
        assertThat(logs.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains(peer)).toList())
                .singleElement().asString().contains("refused a caller");
    }

    /** The gRPC client tries to connect now: its local connection waits for a caller to be paired with. */
    private static void grpcWantsATransport() {
        grpc.resetConnectBackoff();
        grpc.getState(true);
    }

    /** What the caller receives until the agent closes the connection (a TLS alert ends it as an exception). */
    private static byte[] readAll(SSLSocket caller) {
        var out = new ByteArrayOutputStream();
        try {
            caller.startHandshake();
            var in = caller.getInputStream();
            byte[] buf = new byte[256];
            for (int n; (n = in.read(buf)) >= 0; ) out.write(buf, 0, n);
        } catch (IOException refused) {
            // the handshake or the first read fails: the agent refused the caller
        }
        return out.toByteArray();
    }

    /** A TLS client of the listener that trusts the agent's certificate and presents {@code clientCert} (none if null). */
    private static SSLSocket connect(SelfSignedCert clientCert) throws Exception {
        return connect(listener.port(), clientCert);
    }

    /** The same, to the listener on {@code port}. */
    private static SSLSocket connect(int port, SelfSignedCert clientCert) throws Exception {
        var trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("agent", agentCert.certificate());
        var tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        KeyManagerFactory kmf = null;
        if (clientCert != null) {
            var keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            keys.setKeyEntry("client", clientCert.privateKey(), new char[0], new Certificate[] {clientCert.certificate()});
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, new char[0]);
        }
        var tls = SSLContext.getInstance("TLS");
        tls.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        var socket = (SSLSocket) tls.getSocketFactory().createSocket("127.0.0.1", port);
        socket.setSoTimeout(20_000);
        return socket;
    }
}
