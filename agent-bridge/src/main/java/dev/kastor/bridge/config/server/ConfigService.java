package dev.kastor.bridge.config.server;

import dev.kastor.bridge.agents.AgentCalls;
import dev.kastor.bridge.agents.AgentStreams;
import dev.kastor.bridge.config.rpc.AgentConfigurationGrpc;
import dev.kastor.bridge.config.rpc.ConfigurationRequest;
import dev.kastor.bridge.config.rpc.ConfigurationResponse;
import dev.kastor.bridge.tunnel.server.AgentAuthInterceptor;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Set;

/**
 * {@code GetConfiguration}: the calling agent's current good configuration at once (unless it holds it), then every
 * change. Its streams are {@link AgentStreams}: a revoked agent's end at once, it must not learn later changes.
 */
final class ConfigService extends AgentConfigurationGrpc.AgentConfigurationImplBase implements AgentStreams {
    private final AgentConfigurations configs;
    private final AgentCalls<Sender> open = new AgentCalls<>();

    ConfigService(AgentConfigurations configs) {
        this.configs = configs;
    }

    @Override
    public void getConfiguration(ConfigurationRequest request, StreamObserver<ConfigurationResponse> observer) {
        long agentId = AgentAuthInterceptor.agentId();
        var call = (ServerCallStreamObserver<ConfigurationResponse>) observer;
        var sender = new Sender(call, request.getCommitId());
        // Whoever sends, the poll thread or this one, sends what is current then: an older config read here can never
        // follow a newer one the poll thread sent meanwhile.
        sender.unsubscribe = configs.subscribe(agentId, changed -> configs.current(agentId).ifPresent(sender::send));
        open.add(agentId, sender);
        call.setOnCancelHandler(() -> forget(agentId, sender));
        configs.current(agentId).ifPresent(sender::send);
    }

    private void forget(long agentId, Sender sender) {
        sender.unsubscribe.run();
        open.remove(agentId, sender);
    }

    @Override
    public String kind() {
        return "configuration";
    }

    @Override
    public Set<Long> connectedAgentIds() {
        return open.agentIds();
    }

    @Override
    public int revoke(long agentId, String why) {
        List<Sender> senders = open.of(agentId);
        for (Sender s : senders) {
            s.end(Status.PERMISSION_DENIED.withDescription(why));
            forget(agentId, s);
        }
        return senders.size();
    }

    /** One agent's stream; the poll thread, the call's thread and a revocation all use it, so it is serialised here. */
    private static final class Sender {
        private final ServerCallStreamObserver<ConfigurationResponse> call;
        private String sentCommit;
        private boolean ended;
        volatile Runnable unsubscribe = () -> {};

        Sender(ServerCallStreamObserver<ConfigurationResponse> call, String agentCommit) {
            this.call = call;
            this.sentCommit = agentCommit;
        }

        synchronized void send(AgentConfigurations.Current c) {
            if (ended || c.commit().equals(sentCommit) || call.isCancelled()) return;
            sentCommit = c.commit();
            call.onNext(ConfigurationResponse.newBuilder().setCommitId(c.commit()).setConfigYaml(c.yaml()).setProject(c.project())
                    .setPath(c.path()).build());
        }

        synchronized void end(Status status) {
            if (ended) return;
            ended = true;
            if (!call.isCancelled()) call.onError(status.asRuntimeException());
        }
    }
}
