package dev.kastor.bridge.statuspage.server;

import dev.kastor.bridge.agents.AgentStore;
import dev.kastor.bridge.config.server.AgentConfigurations;
import dev.kastor.bridge.registration.server.RegistrationServer;
import dev.kastor.bridge.tunnel.server.TunnelRegistry;
import java.util.List;
import java.util.Optional;

/**
 * What this KAS knows of one agent: its tunnel streams here and since when it has had some (or none), the last
 * registration of each of its pods, its configuration file (the commit loaded, and why the newest file was not
 * used), and, for an agent connected here, what its cluster holds (its Flux objects and Kastor's deployments). Each source is another module's; one that is not there leaves its part null.
 */
final class AgentFacts {
    private final Optional<TunnelRegistry> tunnels;
    private final Optional<RegistrationServer> registrations;
    private final Optional<AgentConfigurations> configs;
    private final Optional<ClusterReads> clusters;

    AgentFacts(Optional<TunnelRegistry> tunnels, Optional<RegistrationServer> registrations, Optional<AgentConfigurations> configs,
               Optional<ClusterReads> clusters) {
        this.tunnels = tunnels;
        this.registrations = registrations;
        this.configs = configs;
        this.clusters = clusters;
    }

    /** The agents' facts, their clusters read side by side (each agent's read waits on its own tunnel only). */
    List<AgentView> of(List<AgentStore.Agent> agents) throws InterruptedException {
        var connected = agents.stream().filter(a -> tunnels.map(t -> t.connected(a.id())).orElse(false)).map(AgentStore.Agent::id)
                .collect(java.util.stream.Collectors.toSet());
        clusters.ifPresent(c -> c.start(connected));
        var out = new java.util.ArrayList<AgentView>();
        for (AgentStore.Agent a : agents) out.add(of(a, connected.contains(a.id())));
        return out;
    }

    private AgentView of(AgentStore.Agent agent, boolean readCluster) throws InterruptedException {
        Boolean connected = null;
        String since = null;
        Integer open = null;
        Integer idle = null;
        if (tunnels.isPresent()) {
            var presence = tunnels.get().presence(agent.id());
            connected = presence.map(TunnelRegistry.Presence::connected).orElse(false);
            since = presence.map(p -> seconds(p.since())).orElse(null);
            open = presence.map(TunnelRegistry.Presence::open).orElse(0);
            idle = presence.map(TunnelRegistry.Presence::idle).orElse(0);
        }
        List<AgentView.Pod> pods = registrations.map(r -> r.instances().stream().filter(i -> i.agentId() == agent.id())
                .map(i -> new AgentView.Pod(i.meta().getPodName(), i.meta().getPodNamespace(), i.meta().getVersion(),
                        i.meta().getKubernetesVersion().getGitVersion(), seconds(i.lastSeen()))).toList()).orElse(null);
        AgentView.Config config = configs.map(c -> {
            var current = c.current(agent.id());
            var problem = c.problem(agent.id()).map(p -> new AgentView.Problem(p.path(), p.commit(), p.line(), p.error())).orElse(null);
            return new AgentView.Config(current.map(AgentConfigurations.Current::path).orElse(null),
                    current.map(AgentConfigurations.Current::commit).orElse(null), problem);
        }).orElse(null);
        AgentView.Cluster cluster = null;
        if (readCluster && clusters.isPresent()) {
            var snapshot = clusters.get().of(agent.id());
            cluster = new AgentView.Cluster(seconds(snapshot.read()), snapshot.problem(), snapshot.flux(), snapshot.deployments());
        }
        return new AgentView(agent.id(), agent.name(), agent.configProject(), connected, since, open, idle, pods, config, cluster);
    }

    /** RFC 3339 to the second, as people read it and as GitLab's API writes times. */
    private static String seconds(java.time.Instant at) {
        return at.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
    }
}
