package dev.kastor.bridge.tunnel.server;

import dev.kastor.bridge.agents.AgentStreams;
import dev.kastor.bridge.module.KasContext;
import dev.kastor.bridge.module.KasModule;
import dev.kastor.bridge.observability.ProxyMetrics;
import io.grpc.BindableService;
import java.util.List;

/**
 * The tunnel's KAS half: agents' reverse-tunnel streams arrive on the agent port and wait in the registry until the
 * k8s proxy takes one for a request. Provides the {@link TunnelRegistry} (routing builds the finder over it) and the
 * {@link ProxyMetrics} the k8s proxy and routing count into.
 */
public final class TunnelServerModule implements KasModule {
    private static final String NAME = "tunnel";
    private final TunnelRegistry tunnels = new TunnelRegistry();
    private final ProxyMetrics metrics = new ProxyMetrics(tunnels::connectedAgents, tunnels::openTunnels);

    private TunnelServerModule() {}

    public static KasModule create(KasContext context) {
        var tunnel = new TunnelServerModule();
        context.parts().provide(TunnelRegistry.class, tunnel.tunnels, NAME);
        context.parts().provide(ProxyMetrics.class, tunnel.metrics, NAME);
        return tunnel;
    }

    @Override
    public String name() {
        return NAME;
    }

    /** Tunnel frames are only handed on (to a Netty event loop), never blocked on. */
    @Override
    public List<BindableService> inlineAgentServices() {
        return List.of(new TunnelService(tunnels));
    }

    @Override
    public List<AgentStreams> agentStreams() {
        return List.of(tunnels);
    }

    @Override
    public String prometheus() {
        return metrics.prometheus();
    }
}
