package dev.kastor.bridge.kubeapi.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.kastor.bridge.agents.AgentStore;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.bridge.observability.ProxyMetrics;
import dev.kastor.bridge.tunnel.rpc.AgentFrame;
import dev.kastor.bridge.tunnel.rpc.AgentHello;
import dev.kastor.bridge.tunnel.rpc.Header;
import dev.kastor.bridge.tunnel.rpc.KasFrame;
import dev.kastor.bridge.tunnel.rpc.Message;
import dev.kastor.bridge.tunnel.rpc.ReverseTunnelGrpc;
import dev.kastor.bridge.tunnel.rpc.Trailer;
import dev.kastor.bridge.tunnel.rpc.Values;
import dev.kastor.bridge.tunnel.server.AgentAuthInterceptor;
import dev.kastor.bridge.tunnel.server.RefusedTokenLog;
import dev.kastor.bridge.tunnel.server.TunnelFinder;
import dev.kastor.bridge.tunnel.server.TunnelRegistry;
import dev.kastor.bridge.tunnel.server.TunnelService;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The phases of one {@link ProxyExchange}, driven from both ends one event at a time. The client's end is an
 * {@link EmbeddedChannel} with the proxy's HTTP codec: it runs the exchange's event-loop work only when the test says
 * so, which is how the agent's end and the client's close are made to race in either order. The agent's end is KAS's
 * real tunnel ({@link TunnelService}, {@link TunnelRegistry}, {@link AgentAuthInterceptor}) over in-process gRPC, with
 * the test sending the frames kastor-agent would send; every call runs on the test's thread (direct executors).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ProxyExchangeTest {
    static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path dir;
    TunnelRegistry tunnels;
    Server kas;
    ManagedChannel agentChannel;
    ProxyMetrics metrics;
    ProxyContext proxy;
    String agentToken;
    long agentId;
    EmbeddedChannel client;
    final AtomicInteger doneCalls = new AtomicInteger();

    @BeforeEach
    void start() throws Exception {
        var agents = new AgentStore(dir.resolve("agents.json"));
        var registered = agents.register("group/project", "prod");
        agentToken = registered.token();
        agentId = registered.agent().id();
        Path jobs = Files.writeString(dir.resolve("jobs.yaml"), "- {token: job-token, project: group/app, agents: [" + registered.agent().id() + "]}\n");
        tunnels = new TunnelRegistry();
        String name = InProcessServerBuilder.generateName();
        kas = InProcessServerBuilder.forName(name).directExecutor().addService(ServerInterceptors.intercept(new TunnelService(tunnels),
                new AgentAuthInterceptor(agents, new RefusedTokenLog(JsonLog.quiet(), Duration.ofMinutes(1))))).build().start();
        agentChannel = InProcessChannelBuilder.forName(name).directExecutor().build();
        metrics = new ProxyMetrics(tunnels::connectedAgents, tunnels::openTunnels);
        proxy = new ProxyContext("/k8s-proxy", LocalJobsAuthorizer.load(jobs), TunnelFinder.local(tunnels), metrics, JsonLog.quiet(),
                ProxyLimits.DEFAULTS, new JobShares(10, 10));
        client = new EmbeddedChannel();
        client.pipeline().addLast(K8sProxyServer.CODEC, new HttpServerCodec());
        client.pipeline().addLast(new OneExchange());
    }

    @AfterEach
    void stop() {
        client.finishAndReleaseAll();
        agentChannel.shutdownNow();
        kas.shutdownNow();
    }

    @Test
    void anUpstreamErrorBeforeTheHeadBecomesAStatusTheClientCanRead() throws Exception {
        var agent = getPods();

        agent.handled(error(503, "the Kubernetes API server did not answer within 30 s"));

        String answer = answer();
        assertThat(answer).startsWith("HTTP/1.1 503");
        JsonNode status = JSON.readTree(answer.substring(answer.indexOf("\r\n\r\n") + 4));
        assertThat(status.path("kind").asString()).isEqualTo("Status");
        assertThat(status.path("code").asInt()).isEqualTo(503);
        assertThat(status.path("reason").asString()).isEqualTo("ServiceUnavailable");
        assertThat(status.path("message").asString()).isEqualTo("the Kubernetes API server did not answer within 30 s");
        assertThat(client.isOpen()).as("a Status ends the connection").isFalse();
        assertThat(metrics.requests(503)).isEqualTo(1);
        assertThat(doneCalls).hasValue(1);
    }

    @Test
    void anUpstreamErrorAfterTheHeadClosesTheConnectionInsteadOfAddingAStatus() throws Exception {
        var agent = getPods();
        agent.handled(header(200), message("{\"items\":["));
        assertThat(answer()).startsWith("HTTP/1.1 200").contains("{\"items\":[");

        agent.handled(error(503, "the Kubernetes API server reset the connection"));

        assertThat(answer()).as("nothing after the cut answer").isEmpty();
        assertThat(client.isOpen()).as("the cut is the client's only sign").isFalse();
        assertThat(metrics.requests(502)).as("counted as a broken answer").isEqualTo(1);
        assertThat(metrics.requests(503)).isZero();
        assertThat(doneCalls).as("the connection never carries another request").hasValue(0);
    }

    @Test
    void anExchangeFinishesOnceWhenTheClientClosesJustBeforeTheAgentsEndIsHandled() throws Exception {
        var agent = getPods();
        agent.send(header(200));
        agent.send(message("{}"));
        agent.send(trailer()); // all three wait on the event loop, behind the close

        closedByClient();
        client.runPendingTasks();

        assertThat(answer()).as("written after the client closed").isEmpty();
        assertThat(metrics.requests(499)).isEqualTo(1);
        assertThat(metrics.requests(200)).isZero();
        assertThat(doneCalls).hasValue(0);
    }

    @Test
    void anExchangeFinishesOnceWhenTheClientClosesJustAfterTheAgentsEnd() throws Exception {
        var agent = getPods();
        agent.handled(header(200), message("{}"), trailer());

        closedByClient();
        client.runPendingTasks();

        assertThat(answer()).startsWith("HTTP/1.1 200").endsWith("2\r\n{}\r\n0\r\n\r\n");
        assertThat(metrics.requests(200)).isEqualTo(1);
        assertThat(metrics.requests(499)).isZero();
        assertThat(doneCalls).hasValue(1);
    }

    @Test
    void nothingIsWrittenToTheClientAfterItClosedAndTheAgentHearsItWentAway() throws Exception {
        var agent = getPods();
        agent.handled(header(200), message("{\"type\":\"ADDED\"}\n"));
        assertThat(answer()).contains("{\"type\":\"ADDED\"}");

        agent.send(message("{\"type\":\"MODIFIED\"}\n")); // on its way to the client's event loop
        closedByClient();
        client.runPendingTasks();

        assertThat(answer()).isEmpty();
        assertThat(Status.fromThrowable(agent.ended).getCode()).isEqualTo(Status.Code.CANCELLED);
        assertThat(metrics.requests(499)).isEqualTo(1);
    }

    @Test
    void aBodyBeforeItsHeadIsABugAnsweredWithAStatusNotAMangledAnswer() throws Exception {
        var agent = getPods();

        agent.handled(message("{\"items\":[]}"));

        String answer = answer();
        assertThat(answer).startsWith("HTTP/1.1 502").contains("\"kind\":\"Status\"", "KAS failed to proxy the request").doesNotContain("items");
        assertThat(Status.fromThrowable(agent.ended).getCode()).as("the agent's stream ends").isEqualTo(Status.Code.CANCELLED);
        assertThat(metrics.requests(502)).isEqualTo(1);
    }

    /** Connects one tunnel stream of the agent, then sends the client's GET, which takes it; returns the agent's end. */
    private AgentEnd getPods() {
        var agent = new AgentEnd();
        client.writeInbound(Unpooled.copiedBuffer("GET /k8s-proxy/api/v1/pods HTTP/1.1\r\nHost: kas\r\nAuthorization: Bearer ci:"
                + agentId + ":job-token\r\n\r\n", StandardCharsets.ISO_8859_1));
        assertThat(agent.heard).as("what reached the agent").hasSize(2);
        assertThat(agent.heard.get(0).getRequestInfo().getPath()).isEqualTo("/api/v1/pods");
        assertThat(agent.heard.get(1).hasCloseSend()).isTrue();
        return agent;
    }

    /**
     * The client's close as the proxy's handler hears it ({@code channelInactive}), with the channel itself left open:
     * a write after it would then show in {@link #answer} instead of failing unseen.
     */
    private void closedByClient() {
        client.pipeline().fireChannelInactive();
    }

    /** Everything written to the client since the last call. */
    private String answer() {
        var out = new StringBuilder();
        for (Object m = client.readOutbound(); m != null; m = client.readOutbound()) {
            out.append(((ByteBuf) m).toString(StandardCharsets.UTF_8));
            ReferenceCountUtil.release(m);
        }
        return out.toString();
    }

    /** What the k8s proxy's handler does for the exchange of one request, and only that. */
    private final class OneExchange extends ChannelInboundHandlerAdapter {
        private ProxyExchange exchange;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpRequest request) {
                exchange = new ProxyExchange(ctx, request, proxy, "test-exchange", ex -> doneCalls.incrementAndGet());
                assertThat(exchange.beginNow()).as("admitted at once: the job is known and the agent's stream idle").isTrue();
                ReferenceCountUtil.release(msg);
            } else {
                exchange.requestContent(msg);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            exchange.clientGone();
        }
    }

    /** One tunnel stream as kastor-agent opens it: authenticated by the agent's token, idle after its hello. */
    private final class AgentEnd implements StreamObserver<KasFrame> {
        final List<KasFrame> heard = new CopyOnWriteArrayList<>();
        volatile Throwable ended;
        private final StreamObserver<AgentFrame> toKas;

        AgentEnd() {
            var headers = new Metadata();
            headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + agentToken);
            toKas = ReverseTunnelGrpc.newStub(agentChannel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers)).connect(this);
            send(AgentFrame.newBuilder().setHello(AgentHello.newBuilder().setAgentVersion("test")).build());
        }

        void send(AgentFrame frame) {
            toKas.onNext(frame);
        }

        /**
         * Each frame sent and handled on the client's event loop before the next: EmbeddedChannel runs the tasks still
         * queued from inside a write, which would re-enter Netty's HTTP encoder mid-write (and repeat its buffers).
         */
        void handled(AgentFrame... frames) {
            for (AgentFrame f : frames) {
                send(f);
                client.runPendingTasks();
            }
        }

        @Override
        public void onNext(KasFrame frame) {
            heard.add(frame);
        }

        @Override
        public void onError(Throwable t) {
            ended = t;
        }

        @Override
        public void onCompleted() {
            ended = Status.OK.asRuntimeException();
        }
    }

    static AgentFrame header(int status) {
        return AgentFrame.newBuilder().setHeader(Header.newBuilder().setStatus(status)
                .putHeaders("Content-Type", Values.newBuilder().addValue("application/json").build())).build();
    }

    static AgentFrame message(String data) {
        return AgentFrame.newBuilder().setMessage(Message.newBuilder().setData(ByteString.copyFromUtf8(data))).build();
    }

    static AgentFrame trailer() {
        return AgentFrame.newBuilder().setTrailer(Trailer.getDefaultInstance()).build();
    }

    static AgentFrame error(int status, String message) {
        return AgentFrame.newBuilder().setError(dev.kastor.bridge.tunnel.rpc.Error.newBuilder().setStatus(status).setMessage(message)).build();
    }
}
