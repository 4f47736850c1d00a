package dev.kastor.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.agentapp.Agent;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP upgrades through the tunnel: after 101 Switching Protocols the stream carries raw bytes both ways, so a
 * real WebSocket client (JDK) talks to a real WebSocket server (Netty) through KAS and the agent. This is the
 * mechanism fabric8's WebSocket watches and kubectl exec/attach/port-forward rely on.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class UpgradeThroughTunnelTest {
    @TempDir
    static Path dir;
    static Bridge bridge;
    static WebSocketEchoUpstream upstream;
    static Agent agent;
    static long agentId;

    @BeforeAll
    static void start() throws Exception {
        upstream = new WebSocketEchoUpstream();
        bridge = new Bridge(dir);
        var connected = bridge.connectAgent("ws-job", 21, upstream.url());
        agentId = connected.id();
        agent = connected.agent();
    }

    @AfterAll
    static void stop() {
        if (bridge != null) System.out.println(bridge.logText());
        if (agent != null) agent.close();
        if (bridge != null) bridge.close();
        if (upstream != null) upstream.close();
    }

    @Test
    void aWebSocketEchoesTextAndBytesBothWaysThroughTheTunnel() throws Exception {
        var received = new LinkedBlockingQueue<Object>();
        var listener = new WebSocket.Listener() {
            final StringBuilder text = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                text.append(data);
                if (last) {
                    received.add(text.toString());
                    text.setLength(0);
                }
                ws.request(1);
                return null;
            }

            final java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();

            @Override
            public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
                byte[] b = new byte[data.remaining()];
                data.get(b);
                bytes.writeBytes(b);
                if (last) {
                    received.add(bytes.toByteArray());
                    bytes.reset();
                }
                ws.request(1);
                return null;
            }
        };
        String url = bridge.proxyUrl().replace("http://", "ws://") + "/ws?watch=true";
        WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
                .header("Authorization", "Bearer ci:" + agentId + ":ws-job")
                .buildAsync(URI.create(url), listener).get(60, TimeUnit.SECONDS);

        ws.sendText("hello", true).get(30, TimeUnit.SECONDS);
        assertThat(received.poll(60, TimeUnit.SECONDS)).isEqualTo("echo:hello");
        byte[] payload = new byte[100_000];
        for (int i = 0; i < payload.length; i++) payload[i] = (byte) i;
        ws.sendBinary(ByteBuffer.wrap(payload), true).get(30, TimeUnit.SECONDS);
        byte[] echoed = (byte[]) received.poll(15, TimeUnit.SECONDS);
        assertThat(echoed).hasSize(payload.length);
        assertThat(java.util.Arrays.equals(echoed, payload)).as("echoed bytes equal the sent ones").isTrue();
        ws.sendText("second", true).get(30, TimeUnit.SECONDS);
        assertThat(received.poll(60, TimeUnit.SECONDS)).isEqualTo("echo:second");

        // The upgrade reached the upstream as the agent, impersonating the job, without the job token.
        // (The agent's registration also asks this upstream GET /version: pick the upgrade request.)
        var handshake = upstream.upgrades().getFirst();
        assertThat(handshake.get("authorization")).isEqualTo("Bearer agent-sa-token");
        assertThat(handshake.get("impersonate-user")).isEqualTo("gitlab:ci_job:21");
        assertThat(handshake.get("upgrade")).isEqualToIgnoringCase("websocket");

        CompletableFuture<WebSocket> closed = ws.sendClose(WebSocket.NORMAL_CLOSURE, "done");
        closed.get(30, TimeUnit.SECONDS);
    }

    @Test
    void anUpgradeTheUpstreamRefusesComesBackAsItsAnswer() throws Exception {
        String url = bridge.proxyUrl().replace("http://", "ws://") + "/not-a-websocket";
        var result = HttpClient.newHttpClient().newWebSocketBuilder()
                .header("Authorization", "Bearer ci:" + agentId + ":ws-job")
                .buildAsync(URI.create(url), new WebSocket.Listener() {});
        try {
            result.get(60, TimeUnit.SECONDS);
            throw new AssertionError("the handshake should have failed");
        } catch (java.util.concurrent.ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(java.net.http.WebSocketHandshakeException.class);
            var response = ((java.net.http.WebSocketHandshakeException) e.getCause()).getResponse();
            assertThat(response.statusCode()).isNotEqualTo(101);
        }
    }
}
