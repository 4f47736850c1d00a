package dev.kastor.bridge.kubeapi.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kastor.bridge.ScriptedApiServer;
import dev.kastor.bridge.kubeapi.agent.ResponseHead.Framing;
import dev.kastor.bridge.tunnel.rpc.RequestInfo;
import dev.kastor.bridge.tunnel.rpc.Values;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * HTTP/1.1 as the agent speaks it to the API server, one connection at a time: a raw socket server on a free port
 * writes the bytes a real API server may send, and the codec must frame them exactly, or the next answer on the
 * connection would be read from the middle of this one.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class Http1CodecTest {
    private static final Duration HEAD_TIMEOUT = Duration.ofSeconds(10);
    private ScriptedApiServer server;
    private Connection connection;

    @AfterEach
    void close() throws IOException {
        if (connection != null) connection.close();
        if (server != null) server.close();
    }

    private Http1Codec codecTo(ScriptedApiServer.Answer answer) throws IOException {
        server = new ScriptedApiServer(answer);
        connection = Connection.over(new Socket(InetAddress.getLoopbackAddress(), server.url().getPort()));
        return new Http1Codec(connection);
    }

    private RequestHead head(RequestInfo.Builder info) {
        return RequestHead.of(info.setCorrelationId("t").build(), new KubeApiUpstream(server.url(), null, () -> "agent-sa-token"));
    }

    private static RequestInfo.Builder request(String method, String path) {
        return RequestInfo.newBuilder().setMethod(method).setPath(path);
    }

    private static Values values(String v) {
        return Values.newBuilder().addValue(v).build();
    }

    /** {@code raw} as the answer to a request for {@code /first}, a 200 with body {@code next} to any other; keeps the connection. */
    private static ScriptedApiServer.Answer first(String raw, String next) {
        return (request, in, out) -> {
            String answer = request.requestLine().contains("/first") ? raw
                    : "HTTP/1.1 200 OK\r\nContent-Length: " + next.length() + "\r\n\r\n" + next;
            out.write(answer.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return true;
        };
    }

    /** Sends a request without body and reads its answer's head. */
    private ResponseHead ask(Http1Codec codec, String method, String path) throws IOException {
        codec.writeRequest(head(request(method, path)), InputStream.nullInputStream());
        return codec.readResponseHead(HEAD_TIMEOUT);
    }

    private static String body(Http1Codec codec, ResponseHead head, String method) throws IOException {
        var got = new ByteArrayOutputStream();
        codec.readBody(head, head.framing(method), got::write);
        return got.toString(StandardCharsets.ISO_8859_1);
    }

    @Test
    void aChunkedAnswerEndsAtItsLastChunkAndItsTrailerSoTheNextAnswerOnTheConnectionReadsWhole() throws Exception {
        var codec = codecTo(first("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5;ext=\"x\"\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: 42\r\n\r\n", "second"));

        ResponseHead first = ask(codec, "GET", "/first");
        assertThat(first.framing("GET")).isEqualTo(Framing.CHUNKED);
        assertThat(body(codec, first, "GET")).isEqualTo("hello world");

        ResponseHead second = ask(codec, "GET", "/second");
        assertThat(second.status()).isEqualTo(200);
        assertThat(body(codec, second, "GET")).isEqualTo("second");
    }

    @Test
    void aChunkedAnswerThatAlsoAnnouncesALengthIsFramedByItsChunksAndTheLengthDoesNotCross() throws Exception {
        var codec = codecTo(first("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\nConnection: closed-not, keep-alive\r\nX-Kept: yes\r\n\r\n"
                + "5\r\nhello\r\n0\r\n\r\n", "second"));

        ResponseHead first = ask(codec, "GET", "/first");
        assertThat(body(codec, first, "GET")).isEqualTo("hello");
        // framing is each hop's own: KAS frames the body for its client again
        assertThat(first.forTunnel().getHeadersMap()).containsOnlyKeys("X-Kept");
        // "closed-not" is no "close" token: the connection stays for the next request
        assertThat(first.keepsAlive()).isTrue();
        assertThat(body(codec, ask(codec, "GET", "/second"), "GET")).isEqualTo("second");
    }

    @Test
    void anAnswerToHeadHasNoBodyWhateverItsContentLengthSays() throws Exception {
        var codec = codecTo(first("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", "after"));

        ResponseHead head = ask(codec, "HEAD", "/first");
        assertThat(head.framing("HEAD")).isEqualTo(Framing.NONE);
        assertThat(body(codec, head, "HEAD")).isEmpty();
        assertThat(head.forTunnel().getHeadersMap()).containsKey("Content-Length");

        assertThat(body(codec, ask(codec, "GET", "/after"), "GET")).isEqualTo("after");
    }

    @Test
    void interimAnswersAreSkippedAndTheFinalHeadIsTheAnswer() throws Exception {
        var codec = codecTo(first("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n"
                + "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}", "unused"));

        ResponseHead head = ask(codec, "GET", "/first");

        assertThat(head.status()).isEqualTo(201);
        assertThat(body(codec, head, "GET")).isEqualTo("{}");
    }

    @Test
    void aBodyTheApiServerCutsShortFailsNamingTheMissingBytes() throws Exception {
        var codec = codecTo((request, in, out) -> {
            out.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabcd".getBytes(StandardCharsets.ISO_8859_1));
            return false;
        });

        ResponseHead head = ask(codec, "GET", "/first");

        assertThatThrownBy(() -> body(codec, head, "GET")).isInstanceOf(IOException.class)
                .hasMessage("the API server closed the connection 6 bytes before the end of its answer");
    }

    @Test
    void aRequestBodyOfUnknownLengthGoesOutChunkedAndEndsWithTheLastChunk() throws Exception {
        var codec = codecTo(ScriptedApiServer.ok("{}", true));

        codec.writeRequest(head(request("POST", "/api/v1/namespaces").putHeaders("Transfer-Encoding", values("chunked"))),
                new ByteArrayInputStream("hello".getBytes(StandardCharsets.ISO_8859_1)));
        codec.readResponseHead(HEAD_TIMEOUT);

        var seen = server.requests.getFirst();
        assertThat(seen.head()).contains("\r\nTransfer-Encoding: chunked\r\n").doesNotContainIgnoringCase("content-length");
        assertThat(seen.wireBody()).isEqualTo("5\r\nhello\r\n0\r\n\r\n");
    }

    @Test
    void aHeaderTheAnswersConnectionNamesDoesNotCrossToTheTunnelButTheOthersDo() throws Exception {
        var codec = codecTo(first("HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Hop-Secret\r\nKeep-Alive: timeout=5\r\n"
                + "X-Hop-Secret: for-the-agent-only\r\nX-Passed-On: yes\r\nContent-Length: 0\r\n\r\n", "unused"));

        var crossing = ask(codec, "GET", "/first").forTunnel().getHeadersMap().keySet();

        assertThat(crossing).containsExactlyInAnyOrder("X-Passed-On", "Content-Length");
    }

    @Test
    void after101TheRawStreamIsHandedOverBothWaysIncludingBytesThatCameWithTheHead() throws Exception {
        var codec = codecTo((request, in, out) -> {
            out.write("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\nhello "
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            byte[] fromClient = in.readNBytes(4);
            out.write(new String(fromClient, StandardCharsets.ISO_8859_1).toUpperCase().getBytes(StandardCharsets.ISO_8859_1));
            return false;
        });

        codec.writeRequest(head(request("POST", "/api/v1/namespaces/default/pods/p/exec")
                .putHeaders("Connection", values("Upgrade")).putHeaders("Upgrade", values("SPDY/3.1"))), InputStream.nullInputStream());
        ResponseHead head = codec.readResponseHead(HEAD_TIMEOUT);
        var toClient = new ByteArrayOutputStream();
        codec.relayUpgraded(new ByteArrayInputStream("ping".getBytes(StandardCharsets.ISO_8859_1)), toClient::write);

        assertThat(head.switchesProtocols()).isTrue();
        assertThat(head.forTunnel().getHeadersMap()).containsKeys("Connection", "Upgrade");
        assertThat(server.requests.getFirst().head()).contains("\r\nUpgrade: SPDY/3.1\r\n");
        assertThat(toClient.toString(StandardCharsets.ISO_8859_1)).isEqualTo("hello PING");
    }
}
