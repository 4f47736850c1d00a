package dev.kastor.bridge.statuspage.server;

import dev.kastor.bridge.agents.AgentStore;
import dev.kastor.bridge.config.server.AgentConfigurations;
import dev.kastor.bridge.registration.server.RegistrationServer;
import dev.kastor.bridge.tunnel.server.TunnelRegistry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What this KAS knows of one agent, as the status page's JSON says it: its tunnel streams here and since when it has
 * had some (or none), the last registration of each of its pods, and its configuration file (the commit loaded, and
 * why the newest file was not used). Each source is another module's; one that is not there leaves its keys out.
 */
final class AgentFacts {
    private final Optional<TunnelRegistry> tunnels;
    private final Optional<RegistrationServer> registrations;
    private final Optional<AgentConfigurations> configs;

    AgentFacts(Optional<TunnelRegistry> tunnels, Optional<RegistrationServer> registrations, Optional<AgentConfigurations> configs) {
        this.tunnels = tunnels;
        this.registrations = registrations;
        this.configs = configs;
    }

    Map<String, Object> of(AgentStore.Agent agent) {
        var m = new LinkedHashMap<String, Object>();
        m.put("id", agent.id());
        m.put("name", agent.name());
        m.put("config_project", agent.configProject());
        tunnels.ifPresent(t -> {
            var presence = t.presence(agent.id());
            m.put("connected", presence.map(TunnelRegistry.Presence::connected).orElse(false));
            // since when it has had streams here, or since when none; null: never connected to this KAS
            m.put("since", presence.map(p -> p.since().toString()).orElse(null));
            m.put("tunnels", Map.of("open", presence.map(TunnelRegistry.Presence::open).orElse(0),
                    "idle", presence.map(TunnelRegistry.Presence::idle).orElse(0)));
        });
        registrations.ifPresent(r -> m.put("instances", instances(r, agent.id())));
        configs.ifPresent(c -> m.put("config", config(c, agent.id())));
        return m;
    }

    private static List<Map<String, Object>> instances(RegistrationServer registrations, long agentId) {
        var out = new ArrayList<Map<String, Object>>();
        for (RegistrationServer.Instance i : registrations.instances()) {
            if (i.agentId() != agentId) continue;
            var m = new LinkedHashMap<String, Object>();
            m.put("pod_name", i.meta().getPodName());
            m.put("pod_namespace", i.meta().getPodNamespace());
            m.put("agent_version", i.meta().getVersion());
            m.put("kubernetes_version", i.meta().getKubernetesVersion().getGitVersion());
            m.put("last_registration", i.lastSeen().toString());
            out.add(m);
        }
        return out;
    }

    private static Map<String, Object> config(AgentConfigurations configs, long agentId) {
        var m = new LinkedHashMap<String, Object>();
        configs.current(agentId).ifPresent(c -> {
            m.put("path", c.path());
            m.put("commit", c.commit());
        });
        configs.problem(agentId).ifPresent(p -> {
            var e = new LinkedHashMap<String, Object>();
            e.put("path", p.path());
            if (p.commit() != null) e.put("commit", p.commit());
            if (p.line() > 0) e.put("line", p.line());
            e.put("message", p.error());
            m.put("error", e);
        });
        return m;
    }
}
