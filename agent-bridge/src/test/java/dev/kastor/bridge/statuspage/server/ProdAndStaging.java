package dev.kastor.bridge.statuspage.server;

import dev.kastor.bridge.Bridge;
import dev.kastor.bridge.Upstream;
import dev.kastor.bridge.agentapp.Agent;

/**
 * The status page tests' two agents, "prod" and "staging" of one config project: registered on a real KAS, started as
 * real agents forwarding to the same API server, and connected.
 */
record ProdAndStaging(long prod, long staging, Agent prodAgent, Agent stagingAgent) implements AutoCloseable {
    static ProdAndStaging start(Bridge bridge, String configProject, Upstream apiServer) throws Exception {
        var p = bridge.register(configProject, "prod");
        var s = bridge.register(configProject, "staging");
        var agents = new ProdAndStaging(p.agent().id(), s.agent().id(), bridge.startAgent(p.token(), apiServer.url()),
                bridge.startAgent(s.token(), apiServer.url()));
        bridge.awaitConnected(agents.prod());
        bridge.awaitConnected(agents.staging());
        return agents;
    }

    @Override
    public void close() {
        prodAgent.close();
        stagingAgent.close();
    }
}
