package dev.kastor.bridge.flux.server;

import dev.kastor.bridge.flux.rpc.FluxEvent;
import dev.kastor.bridge.flux.rpc.FluxNotificationsGrpc;
import dev.kastor.bridge.flux.rpc.WatchRequest;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * An agent's {@code FluxNotifications.Watch} call, as the agent half makes it: over gRPC to KAS's agent port with the
 * agent's token. Events land in a queue the test takes them from in order; {@link #ended} completes with the call's end.
 */
final class WatchClient implements AutoCloseable {
    static final Duration WAIT = Duration.ofSeconds(20);

    private final ManagedChannel channel;
    private final LinkedBlockingQueue<FluxEvent> events = new LinkedBlockingQueue<>();
    final CompletableFuture<Status> ended = new CompletableFuture<>();
    private final StreamObserver<WatchRequest> requests;

    WatchClient(int agentPort, String token) {
        channel = NettyChannelBuilder.forAddress("127.0.0.1", agentPort).usePlaintext().build();
        var headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        requests = FluxNotificationsGrpc.newStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                .watch(new StreamObserver<>() {
                    @Override
                    public void onNext(FluxEvent e) {
                        events.add(e);
                    }

                    @Override
                    public void onError(Throwable t) {
                        ended.complete(Status.fromThrowable(t));
                    }

                    @Override
                    public void onCompleted() {
                        ended.complete(Status.OK);
                    }
                });
    }

    /** Names the Git projects the agent's GitRepository objects point at (what KAS polls). */
    void watchProjects(String... projects) {
        requests.onNext(WatchRequest.newBuilder().addAllGitProjects(List.of(projects)).build());
    }

    /** The next event, failing the test when none comes within {@link #WAIT}. */
    FluxEvent next() throws InterruptedException {
        FluxEvent e = events.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        if (e == null) throw new AssertionError("no flux event within " + WAIT + (ended.isDone() ? "; the call ended: " + ended.join() : ""));
        return e;
    }

    /** The next event that is not an Instance. */
    FluxEvent nextPush() throws InterruptedException {
        FluxEvent e = next();
        return e.hasInstance() ? nextPush() : e;
    }

    /** Events received and not taken yet. */
    List<FluxEvent> pending() {
        return List.copyOf(events);
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
}
