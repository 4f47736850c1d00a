package dev.kastor.bridge.kubeapi.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.Bridge;
import dev.kastor.bridge.Upstream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A header the client's {@code Connection} names belongs to the client's hop (RFC 9110 7.6.1): it does not reach the
 * API server through KAS and the agent; the other headers do. A raw socket sends the request as written (clients
 * refuse to set {@code Connection} themselves); the upstream records what reaches it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConnectionNamedHeadersStayTest {
    @TempDir
    Path dir;

    @Test
    void aHeaderTheClientsConnectionNamesDoesNotReachTheApiServer() throws Exception {
        try (var upstream = new Upstream().handle("/", ex -> Upstream.send(ex, 200, "application/json", "{}".getBytes(StandardCharsets.UTF_8)));
             var bridge = new Bridge(dir)) {
            var connected = bridge.connectAgent("job-token", 1, upstream.url());
            try (var s = new Socket(InetAddress.getLoopbackAddress(), bridge.kas.k8sProxyPort())) {
                s.getOutputStream().write(("GET /k8s-proxy/api/v1/pods HTTP/1.1\r\nHost: kas\r\nAuthorization: Bearer ci:" + connected.id()
                        + ":job-token\r\nConnection: close, X-Hop-Secret\r\nX-Hop-Secret: for-kas-only\r\nX-Passed-On: yes\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(answer).startsWith("HTTP/1.1 200");
            } finally {
                connected.agent().close();
            }
            var seen = upstream.seen.getLast().headers();
            assertThat(seen.keySet()).anyMatch(h -> h.equalsIgnoreCase("X-Passed-On"));
            assertThat(seen.keySet()).noneMatch(h -> h.equalsIgnoreCase("X-Hop-Secret"));
        }
    }
}
