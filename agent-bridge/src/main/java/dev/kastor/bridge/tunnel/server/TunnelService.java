package dev.kastor.bridge.tunnel.server;

import dev.kastor.bridge.tunnel.rpc.AgentFrame;
import dev.kastor.bridge.tunnel.rpc.KasFrame;
import dev.kastor.bridge.tunnel.rpc.ReverseTunnelGrpc;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

/** KAS's half of the reverse tunnel: every Connect stream of an authenticated agent becomes an idle tunnel. */
public final class TunnelService extends ReverseTunnelGrpc.ReverseTunnelImplBase {
    private final TunnelRegistry registry;

    public TunnelService(TunnelRegistry registry) {
        this.registry = registry;
    }

    @Override
    public StreamObserver<AgentFrame> connect(StreamObserver<KasFrame> responseObserver) {
        long agentId = AgentAuthInterceptor.AGENT_ID.get();
        return new ServerTunnel(agentId, (ServerCallStreamObserver<KasFrame>) responseObserver, registry);
    }
}
