package dev.kastor.bridge.kubeapi.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.ScriptedApiServer;
import dev.kastor.bridge.tunnel.rpc.RequestInfo;
import dev.kastor.bridge.tunnel.rpc.Values;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Which connection a request to the API server goes on: a kept-alive one when that is safe, never one that cannot carry
 * another request, and a request that failed on a connection the API server had dropped goes again only when sending
 * it twice cannot do harm. A raw socket server on a free port counts the connections it accepted.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ApiServerConnectionsTest {
    private ScriptedApiServer server;
    /** {@link #pool()}'s API server, and a GET as it gets it. */
    private KubeApiUpstream api;
    private RequestHead get;

    @AfterEach
    void close() throws IOException {
        if (server != null) server.close();
    }

    private KubeApiUpstream upstream(ScriptedApiServer.Answer answer) throws IOException {
        server = new ScriptedApiServer(answer);
        return new KubeApiUpstream(server.url(), null, () -> "agent-sa-token");
    }

    private static RequestInfo request(String method, String... connectionAndUpgrade) {
        var info = RequestInfo.newBuilder().setMethod(method).setPath("/api/v1/pods").setCorrelationId("t");
        if (connectionAndUpgrade.length == 2) {
            info.putHeaders("Connection", Values.newBuilder().addValue(connectionAndUpgrade[0]).build())
                    .putHeaders("Upgrade", Values.newBuilder().addValue(connectionAndUpgrade[1]).build());
        }
        return info.build();
    }

    /** Sends {@code request} on {@code c} and reads its whole answer, as the agent does before giving a connection back. */
    private static String exchange(Connection c, RequestHead request) throws IOException {
        var codec = new Http1Codec(c);
        codec.writeRequest(request, InputStream.nullInputStream());
        ResponseHead head = codec.readResponseHead(Duration.ofSeconds(10));
        var body = new ByteArrayOutputStream();
        codec.readBody(head, head.framing(request.method()), body::write);
        return body.toString(StandardCharsets.UTF_8);
    }

    /** The pool of connections to a server that answers every request with {@code {}} and keeps the connection. */
    private ApiServerConnections pool() throws IOException {
        api = upstream(ScriptedApiServer.ok("{}", true));
        get = RequestHead.of(request("GET"), api);
        return new ApiServerConnections(api);
    }

    /** A connection of {@code pool} that carried a GET to its end and was given back, {@code reusable} or not. */
    private Connection served(ApiServerConnections pool, boolean reusable) throws IOException {
        var lease = pool.lease();
        Connection c = lease.take(get, false);
        exchange(c, get);
        lease.giveBack(c, reusable);
        return c;
    }

    @Test
    void aConnectionGivenBackCarriesTheNextRequest() throws Exception {
        var pool = pool();

        Connection first = served(pool, true);
        Connection second = pool.lease().take(get, false);

        assertThat(second.pooled()).isTrue();
        assertThat(second.socket()).isSameAs(first.socket());
        assertThat(exchange(second, get)).isEqualTo("{}");
        assertThat(server.connections).hasValue(1);
    }

    @Test
    void aConnectionGivenBackAsNotReusableIsClosedAndTheNextRequestOpensAnother() throws Exception {
        var pool = pool();

        served(pool, false);
        server.awaitClosed(1);
        Connection second = pool.lease().take(get, false);

        assertThat(second.pooled()).isFalse();
        assertThat(exchange(second, get)).isEqualTo("{}");
        assertThat(server.connections).hasValue(2);
    }

    @Test
    void anUpgradeNeverGoesOnAPooledConnection() throws Exception {
        var pool = pool();
        Connection kept = served(pool, true);

        Connection forUpgrade = pool.lease().take(RequestHead.of(request("GET", "Upgrade", "websocket"), api), false);

        assertThat(forUpgrade.pooled()).isFalse();
        assertThat(forUpgrade.socket()).isNotSameAs(kept.socket());
    }

    @Test
    void aCancelClosesTheConnectionTheRequestHoldsAndItNeverReachesThePool() throws Exception {
        var pool = pool();

        var lease = pool.lease();
        Connection held = lease.take(get, false);
        exchange(held, get);
        lease.close(); // the tunnel exchange was cancelled
        lease.giveBack(held, true); // the request, finishing after it, must not pool the closed connection

        assertThat(held.socket().isClosed()).isTrue();
        assertThat(pool.lease().take(get, false).pooled()).isFalse();
    }

    @Test
    void aGetOnAPooledConnectionTheApiServerHadDroppedGoesAgainOnANewOne() throws Exception {
        var http = new ApiServerHttp(upstream(ScriptedApiServer.ok("{}", false)));
        assertThat(forward(http, request("GET")).status).isEqualTo(200);
        server.awaitClosed(1); // closed without notice, as when the API server's idle timeout fires

        var answer = forward(http, request("GET"));

        assertThat(answer.status).as(answer.message).isEqualTo(200);
        assertThat(server.connections).hasValue(2);
    }

    @Test
    void aPostOnAPooledConnectionTheApiServerHadDroppedIsNotSentAgain() throws Exception {
        var http = new ApiServerHttp(upstream(ScriptedApiServer.ok("{}", false)));
        assertThat(forward(http, request("GET")).status).isEqualTo(200);
        server.awaitClosed(1);

        var answer = forward(http, request("POST"));

        assertThat(answer.status).isEqualTo(502);
        assertThat(answer.message).contains("did not answer");
        assertThat(server.connections).hasValue(1);
    }

    @Test
    void anAnswerWithConnectionCloseIsNotPooledSoTheNextPostGoesOnANewConnection() throws Exception {
        var http = new ApiServerHttp(upstream((request, in, out) -> {
            out.write("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return request.connection() > 1; // the first connection closes after its answer, as announced
        }));
        assertThat(forward(http, request("GET")).status).isEqualTo(200);
        server.awaitClosed(1);

        var answer = forward(http, request("POST"));

        assertThat(answer.status).as(answer.message).isEqualTo(200);
        assertThat(server.connections).hasValue(2);
    }

    private static RecordedAnswer forward(ApiServerHttp http, RequestInfo info) throws IOException {
        var answer = new RecordedAnswer();
        http.forward(info, answer);
        return answer;
    }
}
