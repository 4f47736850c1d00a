package dev.kastor.bridge.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.observability.JsonLog;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * KAS's API port holds a client only so long and so much: limits shortened to a second, 1 KiB heads and bodies and
 * three connections per host, over raw sockets so that nothing between the test and the server is polite.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ApiServerLimitsTest {
    static final Duration REQUEST = Duration.ofMillis(1000);
    static final ApiLimits LIMITS = new ApiLimits(REQUEST, Duration.ofMillis(1000), 1024, 1024, 3);
    static final byte[] LARGE = new byte[64 << 20];

    ApiServer server;

    @BeforeEach
    void start() throws InterruptedException {
        server = new ApiServer(new InetSocketAddress("127.0.0.1", 0), null, Map.of(
                "/echo", r -> ApiResponse.text(200, r.method() + " " + r.path() + " " + r.header("x-test") + " " + r.body().length),
                "/large", r -> new ApiResponse(200, "application/octet-stream", Map.of(), LARGE),
                "/fails", r -> {
                    throw new IllegalStateException("a bug in an endpoint");
                }), LIMITS, JsonLog.quiet());
    }

    @AfterEach
    void stop() {
        server.close();
    }

    Socket connect() throws IOException {
        var s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
        s.setSoTimeout(10_000);
        return s;
    }

    static void send(Socket s, String text) throws IOException {
        s.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
        s.getOutputStream().flush();
    }

    /** One answer's status line, headers and Content-Length body. */
    static String answer(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        var head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) return head.toString(StandardCharsets.ISO_8859_1);
            head.write(b);
        }
        String h = head.toString(StandardCharsets.ISO_8859_1);
        var m = java.util.regex.Pattern.compile("(?i)content-length: (\\d+)").matcher(h);
        int length = m.find() ? Integer.parseInt(m.group(1)) : 0;
        return h + new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }

    /**
     * Milliseconds until the server ends the connection (end of stream or reset), reading and dropping what comes.
     * Measured on purpose: these tests check the configured request time, so when the close comes is what they
     * assert: never before it, and within it plus 3 s of margin for a slow machine.
     */
    static long millisUntilClosed(Socket s, long since) throws IOException {
        try {
            byte[] buf = new byte[8192];
            while (s.getInputStream().read(buf) >= 0) {
                // what the server still sends, then the close
            }
        } catch (SocketException reset) {
            // a reset is a close too
        }
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - since);
    }

    @Test
    void aConnectionThatSaysNothingIsClosedWhenItsRequestTimeIsUp() throws Exception {
        long opened = System.nanoTime();
        try (var s = connect()) {
            assertThat(millisUntilClosed(s, opened)).isBetween(REQUEST.toMillis() - 100, REQUEST.toMillis() + 3000);
        }
    }

    @Test
    void aRequestTrickledAByteAtATimeIsCutAtTheRequestTimeThoughBytesKeepComing() throws Exception {
        long opened = System.nanoTime();
        try (var s = connect()) {
            String request = "GET /echo HTTP/1.1\r\nHost: kas\r\nX-Test: " + "a".repeat(200) + "\r\n\r\n";
            boolean cut = false;
            for (char c : request.toCharArray()) {
                try {
                    send(s, String.valueOf(c));
                } catch (SocketException closed) {
                    cut = true;
                    break;
                }
                Thread.sleep(20); // behaviour, not waiting: a client that trickles its request a byte at a time
                if (TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - opened) > REQUEST.toMillis() + 3000) break;
            }
            long ms = millisUntilClosed(s, opened);
            assertThat(cut || ms < REQUEST.toMillis() + 3000).as("closed while trickling").isTrue();
            assertThat(ms).isGreaterThanOrEqualTo(REQUEST.toMillis() - 100);
        }
    }

    @Test
    void ofFourConnectionsFromOneHostThreeAreServedAndOneIsClosedAtOnce() throws Exception {
        var sockets = new ArrayList<Socket>();
        try {
            for (int i = 0; i < 4; i++) sockets.add(connect());
            int served = 0;
            int closed = 0;
            for (Socket s : sockets) {
                try {
                    send(s, "GET /echo HTTP/1.1\r\nHost: kas\r\n\r\n");
                    if (answer(s).startsWith("HTTP/1.1 200")) served++;
                    else closed++;
                } catch (SocketException reset) {
                    closed++;
                }
            }
            assertThat(served).isEqualTo(3);
            assertThat(closed).isEqualTo(1);
        } finally {
            for (Socket s : sockets) s.close();
        }
    }

    @Test
    void aKeptAliveConnectionServesOneRequestAfterTheOtherThenClosesWhenIdle() throws Exception {
        try (var s = connect()) {
            send(s, "GET /echo HTTP/1.1\r\nHost: kas\r\nX-Test: one\r\n\r\n");
            assertThat(answer(s)).startsWith("HTTP/1.1 200").endsWith("GET /echo one 0");
            send(s, "POST /echo?x=1 HTTP/1.1\r\nHost: kas\r\nX-Test: two\r\nContent-Length: 5\r\n\r\nhello");
            long answered = System.nanoTime();
            assertThat(answer(s)).startsWith("HTTP/1.1 200").endsWith("POST /echo two 5");
            assertThat(millisUntilClosed(s, answered)).isBetween(REQUEST.toMillis() - 100, REQUEST.toMillis() + 3000);
        }
    }

    @Test
    void aBodyOverTheLimitGets413AndIsNeverHandedToTheEndpoint() throws Exception {
        try (var s = connect()) {
            send(s, "POST /echo HTTP/1.1\r\nHost: kas\r\nContent-Length: 2048\r\n\r\n" + "x".repeat(2048));
            assertThat(answer(s)).startsWith("HTTP/1.1 413");
        }
    }

    @Test
    void aLongRequestLineGets414AndALongHeaderBlock431() throws Exception {
        try (var s = connect()) {
            send(s, "GET /echo?q=" + "a".repeat(2000) + " HTTP/1.1\r\nHost: kas\r\n\r\n");
            String a = answer(s);
            assertThat(a).startsWith("HTTP/1.1 414").contains("1024 bytes");
        }
        try (var s = connect()) {
            send(s, "GET /echo HTTP/1.1\r\nHost: kas\r\nX-Test: " + "a".repeat(2000) + "\r\n\r\n");
            assertThat(answer(s)).startsWith("HTTP/1.1 431");
        }
    }

    @Test
    void aClientThatNeverReadsItsAnswerIsCutWhenTheResponseTimeIsUp() throws Exception {
        var s = new Socket();
        s.setReceiveBufferSize(16 * 1024);
        s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
        s.setSoTimeout(10_000);
        try (s) {
            send(s, "GET /large HTTP/1.1\r\nHost: kas\r\n\r\n");
            // Behaviour, not waiting: a client that does not read past the configured response time; the server's
            // writes stall, then it gives up (the bytes received below show it did).
            Thread.sleep(REQUEST.toMillis() + 1500);
            long received = 0;
            byte[] buf = new byte[1 << 16];
            try {
                for (int n; (n = s.getInputStream().read(buf)) >= 0; ) received += n;
            } catch (SocketException reset) {
                // cut
            } catch (SocketTimeoutException stillOpen) {
                throw new AssertionError("the connection was still open after " + received + " bytes");
            }
            assertThat(received).isLessThan(LARGE.length);
        }
    }

    @Test
    void anUnknownPathGets404AndAFailingEndpoint500WithoutItsException() throws Exception {
        try (var s = connect()) {
            send(s, "GET /nowhere HTTP/1.1\r\nHost: kas\r\n\r\n");
            assertThat(answer(s)).startsWith("HTTP/1.1 404").contains("no /nowhere");
            send(s, "GET /fails HTTP/1.1\r\nHost: kas\r\n\r\n");
            assertThat(answer(s)).startsWith("HTTP/1.1 500").doesNotContain("a bug in an endpoint");
        }
    }
}
