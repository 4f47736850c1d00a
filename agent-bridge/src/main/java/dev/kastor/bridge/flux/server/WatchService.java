package dev.kastor.bridge.flux.server;

import dev.kastor.bridge.agents.AgentCalls;
import dev.kastor.bridge.agents.AgentStreams;
import dev.kastor.bridge.flux.rpc.Delivery;
import dev.kastor.bridge.flux.rpc.FluxEvent;
import dev.kastor.bridge.flux.rpc.FluxNotificationsGrpc;
import dev.kastor.bridge.flux.rpc.Instance;
import dev.kastor.bridge.flux.rpc.WatchRequest;
import dev.kastor.bridge.tunnel.server.AgentAuthInterceptor;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code FluxNotifications.Watch}: the {@link Instance} at once, then every push delivered to this replica that the
 * calling agent may learn of. Each call remembers the Git projects its agent named last (what the ref poller asks
 * Git about). Its calls are {@link AgentStreams}: a revoked agent's end at once, it must not learn of later pushes.
 */
final class WatchService extends FluxNotificationsGrpc.FluxNotificationsImplBase implements AgentStreams {
    private final FluxEvent instance;
    private final FluxMetrics metrics;
    private final AgentCalls<Watcher> open = new AgentCalls<>();

    WatchService(Instance instance, FluxMetrics metrics) {
        this.instance = FluxEvent.newBuilder().setInstance(instance).build();
        this.metrics = metrics;
    }

    @Override
    public StreamObserver<WatchRequest> watch(StreamObserver<FluxEvent> observer) {
        long agentId = AgentAuthInterceptor.agentId();
        var watcher = new Watcher((ServerCallStreamObserver<FluxEvent>) observer);
        // Before it is registered: no push can overtake the Instance.
        watcher.call.onNext(instance);
        open.add(agentId, watcher);
        watcher.call.setOnCancelHandler(() -> open.remove(agentId, watcher));
        return new StreamObserver<>() {
            @Override
            public void onNext(WatchRequest request) {
                watcher.projects = List.copyOf(request.getGitProjectsList());
            }

            @Override
            public void onError(Throwable t) {
                open.remove(agentId, watcher);
            }

            @Override
            public void onCompleted() {
                watcher.end(Status.OK);
                open.remove(agentId, watcher);
            }
        };
    }

    /** Sends the delivery's event to every Watch call here whose agent it names (all of them when it names none). */
    void deliver(Delivery delivery) {
        var only = Set.copyOf(delivery.getAgentIdsList());
        open.forEach((agentId, w) -> {
            if (!only.isEmpty() && !only.contains(agentId)) return;
            if (w.send(delivery.getEvent())) metrics.delivered();
            else metrics.dropped();
        });
    }

    /** The Git projects the agents watching here named last. */
    Set<String> projects() {
        var all = new HashSet<String>();
        open.forEach((agentId, w) -> all.addAll(w.projects));
        return all;
    }

    int watches() {
        return open.count();
    }

    @Override
    public String kind() {
        return "flux";
    }

    @Override
    public Set<Long> connectedAgentIds() {
        return open.agentIds();
    }

    @Override
    public int revoke(long agentId, String why) {
        List<Watcher> watchers = open.of(agentId);
        for (Watcher w : watchers) {
            w.end(Status.PERMISSION_DENIED.withDescription(why));
            open.remove(agentId, w);
        }
        return watchers.size();
    }

    /** One Watch call; the bus's thread, the call's and a revocation all use it, so sending is serialised here. */
    private static final class Watcher {
        private final ServerCallStreamObserver<FluxEvent> call;
        private boolean ended;
        volatile List<String> projects = List.of();

        Watcher(ServerCallStreamObserver<FluxEvent> call) {
            this.call = call;
        }

        /**
         * False when the event is dropped: the call ended, or its agent has not read what was sent before (gRPC's
         * buffer is full). Pushes only shorten Flux's wait, so an agent that does not read must not hold KAS's memory.
         * (The Instance is sent unchecked: at the call's start gRPC may not count the stream as ready yet.)
         */
        synchronized boolean send(FluxEvent event) {
            if (ended || call.isCancelled() || !call.isReady()) return false;
            call.onNext(event);
            return true;
        }

        synchronized void end(Status status) {
            if (ended) return;
            ended = true;
            if (call.isCancelled()) return;
            if (status.isOk()) call.onCompleted();
            else call.onError(status.asRuntimeException());
        }
    }
}
