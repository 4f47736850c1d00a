package dev.kastor.bridge.tunnel.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.kastor.bridge.tunnel.rpc.AgentFrame;
import dev.kastor.bridge.tunnel.rpc.CloseSend;
import dev.kastor.bridge.tunnel.rpc.Header;
import dev.kastor.bridge.tunnel.rpc.KasFrame;
import dev.kastor.bridge.tunnel.rpc.Message;
import dev.kastor.bridge.tunnel.rpc.RequestInfo;
import dev.kastor.bridge.tunnel.rpc.ReverseTunnelGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The rules of one tunnel stream's life, on real gRPC (an in-process server playing KAS's end of the stream): one
 * request per stream, the answer ends once and nothing follows it, a call ending under the handler cuts it off (its
 * reads end, its writes fail, its cancel hooks run) but not after its answer, a write KAS takes nothing for longer than
 * the stall limit gives the stream up, and the pool hears once that the stream left it, whichever ends first.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class AgentTunnelTest {
    private static final Header OK = Header.newBuilder().setStatus(200).setReason("OK").build();
    private Server server;
    private ManagedChannel channel;
    /** KAS's end of each stream the agent opens, in order. */
    private final BlockingQueue<KasEnd> opened = new LinkedBlockingQueue<>();
    /** Whether KAS asks for each agent frame itself (false: gRPC asks for the next one after each). */
    private volatile boolean kasPullsFrames;
    private final AtomicInteger busy = new AtomicInteger();
    private final AtomicInteger ended = new AtomicInteger();
    private final AgentTunnel.Events events = new AgentTunnel.Events() {
        @Override
        public void busy(AgentTunnel t) {
            busy.incrementAndGet();
        }

        @Override
        public void ended(AgentTunnel t, Throwable error) {
            ended.incrementAndGet();
        }
    };

    /** KAS's end of one stream: the agent's frames as they arrive, and how the agent's side of the call ended. */
    private static final class KasEnd implements StreamObserver<AgentFrame> {
        final ServerCallStreamObserver<KasFrame> toAgent;
        final BlockingQueue<AgentFrame> frames = new LinkedBlockingQueue<>();
        final CompletableFuture<Status> agentSideEnded = new CompletableFuture<>();

        KasEnd(ServerCallStreamObserver<KasFrame> toAgent) {
            this.toAgent = toAgent;
        }

        AgentFrame next() throws InterruptedException {
            AgentFrame f = frames.poll(10, TimeUnit.SECONDS);
            if (f == null) throw new AssertionError("no frame from the agent within 10 s");
            return f;
        }

        void send(KasFrame.Builder frame) {
            toAgent.onNext(frame.build());
        }

        @Override
        public void onNext(AgentFrame frame) {
            frames.add(frame);
        }

        @Override
        public void onError(Throwable t) {
            agentSideEnded.complete(Status.fromThrowable(t));
        }

        @Override
        public void onCompleted() {
            agentSideEnded.complete(Status.OK);
        }
    }

    @BeforeEach
    void start() throws IOException {
        String name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name).addService(new ReverseTunnelGrpc.ReverseTunnelImplBase() {
            @Override
            public StreamObserver<AgentFrame> connect(StreamObserver<KasFrame> toAgent) {
                var call = (ServerCallStreamObserver<KasFrame>) toAgent;
                if (kasPullsFrames) call.disableAutoRequest();
                var end = new KasEnd(call);
                opened.add(end);
                return end;
            }
        }).build().start();
        channel = InProcessChannelBuilder.forName(name).build();
    }

    @AfterEach
    void stop() {
        channel.shutdownNow();
        server.shutdownNow();
    }

    /** A stream as the pool opens one, and KAS's end of it after the agent's hello. */
    private KasEnd open(AgentTunnel tunnel) throws InterruptedException {
        ReverseTunnelGrpc.newStub(channel).withExecutor(Runnable::run).connect(tunnel);
        tunnel.hello();
        KasEnd kas = opened.poll(10, TimeUnit.SECONDS);
        assertThat(kas).as("the stream reached KAS").isNotNull();
        if (kasPullsFrames) kas.toAgent.request(1);
        assertThat(kas.next().hasHello()).isTrue();
        return kas;
    }

    private AgentTunnel tunnel(RequestHandler handler) {
        return new AgentTunnel("test", handler, events, Duration.ofMinutes(10));
    }

    private static KasFrame.Builder request() {
        return KasFrame.newBuilder().setRequestInfo(RequestInfo.newBuilder().setMethod("GET").setPath("/api/v1/pods").setCorrelationId("t"));
    }

    private static void await(CountDownLatch latch) throws InterruptedException {
        assertThat(latch.await(10, TimeUnit.SECONDS)).as("condition reached within 10 s").isTrue();
    }

    @Test
    void aStreamServesOneRequestAndASecondOneOnItIsNeverHandled() throws Exception {
        var handled = new AtomicInteger();
        var tunnel = tunnel((info, exchange) -> {
            handled.incrementAndGet();
            exchange.requestBody().read(); // pulls the next frame: the second request, then KAS's end of the call
        });
        KasEnd kas = open(tunnel);

        kas.send(request());
        kas.send(request());
        kas.toAgent.onCompleted();

        awaitTrue(tunnel::cancelled);
        assertThat(busy).as("the pool was told of one request").hasValue(1);
        assertThat(handled).hasValue(1);
    }

    @Test
    void theAnswerEndsOnceNothingMayFollowItAndThePoolHearsOnce() throws Exception {
        var writeAfterAnswer = new CompletableFuture<Throwable>();
        var trailerAfterAnswer = new CompletableFuture<Throwable>();
        var tunnel = tunnel((info, exchange) -> {
            exchange.respond(OK, new byte[] {'{', '}'}, 2);
            exchange.error(502, "a second end of the answer"); // ignored: the answer is complete
            writeAfterAnswer.complete(failure(() -> exchange.write(new byte[] {'x'}, 0, 1)));
            trailerAfterAnswer.complete(failure(exchange::trailer));
        });
        KasEnd kas = open(tunnel);

        kas.send(request());

        assertThat(kas.next().getResponse().getBody().toStringUtf8()).isEqualTo("{}");
        assertThat(kas.agentSideEnded.get(10, TimeUnit.SECONDS)).isEqualTo(Status.OK);
        assertThat(kas.frames).as("frames after the answer").isEmpty();
        assertThat(writeAfterAnswer.get(10, TimeUnit.SECONDS)).hasMessage("the answer is complete: no frame may follow it");
        assertThat(trailerAfterAnswer.get(10, TimeUnit.SECONDS)).hasMessage("the answer is complete: no frame may follow it");

        awaitTrue(() -> ended.get() > 0); // the handler returned: the stream left the pool
        kas.toAgent.onCompleted();
        awaitTrue(tunnel::cancelled);
        assertThat(ended).as("the pool heard once that the stream left it").hasValue(1);
    }

    @Test
    void aCallEndingWhileTheHandlerAnswersCutsItOffItsReadsEndItsWritesFailItsHooksRun() throws Exception {
        var hook = new CountDownLatch(1);
        var lateHookRan = new AtomicBoolean();
        var writeAfterEnd = new CompletableFuture<Throwable>();
        var tunnel = tunnel((info, exchange) -> {
            exchange.onCancel(hook::countDown);
            exchange.header(OK);
            assertThat(exchange.requestBody().read()).as("the body ends when the call does").isEqualTo(-1);
            exchange.onCancel(() -> lateHookRan.set(true));
            writeAfterEnd.complete(failure(() -> exchange.write(new byte[] {'x'}, 0, 1)));
        });
        KasEnd kas = open(tunnel);
        kas.send(request());
        assertThat(kas.next().hasHeader()).isTrue();

        kas.toAgent.onError(Status.CANCELLED.withDescription("the client went away").asRuntimeException());

        await(hook);
        assertThat(writeAfterEnd.get(10, TimeUnit.SECONDS)).hasMessage("the tunnel stream to KAS closed");
        assertThat(lateHookRan).as("a hook registered after the cut runs at once").isTrue();
        assertThat(tunnel.cancelled()).isTrue();
        awaitTrue(() -> ended.get() > 0);
        assertThat(ended).as("the pool heard once that the stream left it").hasValue(1);
    }

    @Test
    void aCallEndingAfterTheAnswerRunsNoCancelHookAndThePoolHearsOnce() throws Exception {
        var hookRan = new AtomicBoolean();
        var handlerReturned = new CountDownLatch(1);
        var tunnel = tunnel((info, exchange) -> {
            try {
                exchange.trailer();
                awaitTrue(exchange::cancelled); // KAS ends the call before the handler returns
                exchange.onCancel(() -> hookRan.set(true));
            } finally {
                handlerReturned.countDown();
            }
        });
        KasEnd kas = open(tunnel);
        kas.send(request());
        assertThat(kas.next().hasTrailer()).isTrue();

        kas.toAgent.onCompleted();

        await(handlerReturned);
        assertThat(hookRan).as("a cancel hook after the answer was complete").isFalse();
        awaitTrue(() -> ended.get() > 0);
        assertThat(ended).hasValue(1);
    }

    @Test
    void aWriteKasTakesNoFrameForLongerThanTheStallLimitFailsAsStalledAndTheCallIsCancelled() throws Exception {
        kasPullsFrames = true; // KAS takes the hello and nothing more
        var hook = new CountDownLatch(1);
        var failure = new CompletableFuture<Throwable>();
        var tunnel = new AgentTunnel("test", (info, exchange) -> {
            exchange.onCancel(hook::countDown);
            failure.complete(failure(() -> exchange.header(OK))); // waits: KAS asks for no frame after the hello
        }, events, Duration.ofMillis(1));
        KasEnd kas = open(tunnel);
        kas.send(request());

        awaitTrue(() -> {
            tunnel.cancelIfStalled(System.nanoTime()); // the pool's tick, every few milliseconds here
            return failure.isDone();
        });

        assertThat(failure.get()).hasMessageStartingWith("the tunnel stream to KAS stalled for");
        await(hook);
        assertThat(kas.agentSideEnded.get(10, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.CANCELLED);
        assertThat(ended).hasValue(1);
    }

    @Test
    void theRequestBodyIsWhatKasSentUpToItsCloseSend() throws Exception {
        var body = new CompletableFuture<String>();
        var tunnel = tunnel((info, exchange) -> {
            body.complete(new String(exchange.requestBody().readAllBytes(), StandardCharsets.UTF_8));
            exchange.trailer();
        });
        KasEnd kas = open(tunnel);

        kas.send(request());
        kas.send(KasFrame.newBuilder().setMessage(Message.newBuilder().setData(ByteString.copyFromUtf8("{\"a\":"))));
        kas.send(KasFrame.newBuilder().setMessage(Message.newBuilder().setData(ByteString.copyFromUtf8("1}"))));
        kas.send(KasFrame.newBuilder().setCloseSend(CloseSend.getDefaultInstance()));

        assertThat(body.get(10, TimeUnit.SECONDS)).isEqualTo("{\"a\":1}");
        assertThat(kas.next().hasTrailer()).isTrue();
    }

    private interface Send {
        void run() throws IOException;
    }

    /** What {@code send} failed with; null when it went through. */
    private static IOException failure(Send send) {
        try {
            send.run();
            return null;
        } catch (IOException e) {
            return e;
        }
    }

    /** Waits until {@code condition} holds (10 s at most), checking it every few milliseconds. */
    private static void awaitTrue(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("condition not reached within 10 s");
            Thread.sleep(5);
        }
    }
}
