package dev.kastor.bridge.config.server;

import dev.kastor.bridge.config.rpc.AgentConfigurationGrpc;
import dev.kastor.bridge.config.rpc.ConfigurationRequest;
import dev.kastor.bridge.config.rpc.ConfigurationResponse;
import dev.kastor.bridge.tunnel.server.AgentAuthInterceptor;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

/** {@code GetConfiguration}: the calling agent's current good configuration at once (unless it holds it), then every change. */
final class ConfigService extends AgentConfigurationGrpc.AgentConfigurationImplBase {
    private final AgentConfigurations configs;

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
        Runnable unsubscribe = configs.subscribe(agentId, changed -> configs.current(agentId).ifPresent(sender::send));
        call.setOnCancelHandler(unsubscribe);
        configs.current(agentId).ifPresent(sender::send);
    }

    /** One agent's stream; the poll thread and the call's thread both send, so sends are serialised here. */
    private static final class Sender {
        private final ServerCallStreamObserver<ConfigurationResponse> call;
        private String sentCommit;

        Sender(ServerCallStreamObserver<ConfigurationResponse> call, String agentCommit) {
            this.call = call;
            this.sentCommit = agentCommit;
        }

        synchronized void send(AgentConfigurations.Current c) {
            if (c.commit().equals(sentCommit) || call.isCancelled()) return;
            sentCommit = c.commit();
            call.onNext(ConfigurationResponse.newBuilder().setCommitId(c.commit()).setConfigYaml(c.yaml()).setProject(c.project())
                    .setPath(c.path()).build());
        }
    }
}
