package dev.kastor.bridge.tunnel.agent;

import dev.kastor.bridge.module.AgentContext;
import dev.kastor.bridge.module.AgentModule;
import io.grpc.ManagedChannel;

/**
 * The tunnel's agent half: a pool of reverse-tunnel streams to KAS, each serving one request at a time with the
 * {@link RequestHandler} a module before it provides (the k8s API forwarder).
 */
public final class TunnelAgentModule implements AgentModule {
    private static final String NAME = "tunnel";
    private final RequestHandler handler;
    private final PoolSettings settings;
    private final String version;
    private volatile TunnelPool pool;

    private TunnelAgentModule(RequestHandler handler, PoolSettings settings, String version) {
        this.handler = handler;
        this.settings = settings;
        this.version = version;
    }

    /** Sizes the pool as the tuned {@link PoolSettings} say, else with the defaults. */
    public static AgentModule create(AgentContext context) {
        return new TunnelAgentModule(context.parts().require(RequestHandler.class, NAME), context.tunings().or(PoolSettings.defaults()),
                context.version());
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void start(ManagedChannel kas) {
        pool = new TunnelPool(kas, handler, settings, version);
        pool.start();
    }

    /** The running pool; null before {@link #start}. */
    public TunnelPool pool() {
        return pool;
    }

    @Override
    public void close() {
        var p = pool;
        if (p != null) p.close();
    }
}
