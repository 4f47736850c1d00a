package dev.kastor.bridge.kubeapi.agent;

import dev.kastor.bridge.module.AgentContext;
import dev.kastor.bridge.module.AgentModule;
import dev.kastor.bridge.tunnel.agent.RequestHandler;
import io.grpc.ManagedChannel;

/**
 * The k8s API's agent half: provides the {@link RequestHandler} the tunnel serves CI jobs' requests with, forwarding
 * each to the cluster's API server (the agent's {@link KubeApiUpstream}). It makes no call to KAS of its own.
 */
public final class KubeApiAgentModule implements AgentModule {
    private static final String NAME = "k8s_api";

    private KubeApiAgentModule() {}

    public static AgentModule create(AgentContext context) {
        var upstream = context.parts().require(KubeApiUpstream.class, NAME);
        context.parts().provide(RequestHandler.class, new KubeApiForwarder(upstream), NAME);
        return new KubeApiAgentModule();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void start(ManagedChannel kas) {
        // the tunnel's streams bring its requests
    }
}
