package dev.kastor.bridge.statuspage.server;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One agent as the status page shows it, and as {@code /api/v1/status/agents} says it ({@link #json()}): the page and
 * its JSON come from this one value. A null part is one this KAS has no source for; the JSON then leaves its keys out.
 *
 * @param connected whether it holds tunnel streams on this KAS; null without the tunnel module
 * @param since     since when it has held streams here, or once disconnected since when none; null: never connected here
 */
public record AgentView(long id, String name, String configProject, Boolean connected, String since, Integer openTunnels,
                        Integer idleTunnels, List<Pod> pods, Config config, Flux flux) {
    /**
     * Its Flux objects as last read through its tunnel ({@code read}), or why they could not be: {@code problem}. Null
     * for an agent not connected here, whose cluster KAS cannot ask.
     */
    public record Flux(String read, String problem, List<FluxObject> objects) {}

    /** One Flux object: its Ready condition ("True", "False" or "Unknown", with reason and message), revision and since when. */
    public record FluxObject(String kind, String namespace, String name, String ready, String reason, String message, String revision,
                             String since) {}

    /** One pod's last registration. */
    public record Pod(String podName, String podNamespace, String agentVersion, String kubernetesVersion, String lastRegistration) {
        /** namespace/name, or what an agent running outside Kubernetes reports. */
        public String where() {
            return podName == null || podName.isEmpty() ? "not in a pod" : podNamespace + "/" + podName;
        }
    }

    /** The configuration file it runs ({@code path} and {@code commit} null until one loaded) and why the newest was refused. */
    public record Config(String path, String commit, Problem error) {}

    /** {@code line} 0 when the error has none; {@code commit} null when Git itself could not be read. */
    public record Problem(String path, String commit, int line, String message) {}

    public String shortCommit() {
        return config == null || config.commit() == null ? null : config.commit().substring(0, Math.min(12, config.commit().length()));
    }

    Map<String, Object> json() {
        var m = new LinkedHashMap<String, Object>();
        m.put("id", id);
        m.put("name", name);
        m.put("config_project", configProject);
        if (connected != null) {
            m.put("connected", connected);
            m.put("since", since);
            m.put("tunnels", Map.of("open", openTunnels, "idle", idleTunnels));
        }
        if (pods != null) {
            m.put("instances", pods.stream().map(p -> {
                var pm = new LinkedHashMap<String, Object>();
                pm.put("pod_name", p.podName());
                pm.put("pod_namespace", p.podNamespace());
                pm.put("agent_version", p.agentVersion());
                pm.put("kubernetes_version", p.kubernetesVersion());
                pm.put("last_registration", p.lastRegistration());
                return pm;
            }).toList());
        }
        if (flux != null) {
            var f = new LinkedHashMap<String, Object>();
            f.put("read", flux.read());
            if (flux.problem() != null) f.put("problem", flux.problem());
            f.put("objects", flux.objects().stream().map(o -> {
                var om = new LinkedHashMap<String, Object>();
                om.put("kind", o.kind());
                om.put("namespace", o.namespace());
                om.put("name", o.name());
                om.put("ready", o.ready());
                if (o.reason() != null) om.put("reason", o.reason());
                if (o.message() != null) om.put("message", o.message());
                if (o.revision() != null) om.put("revision", o.revision());
                if (o.since() != null) om.put("since", o.since());
                return om;
            }).toList());
            m.put("flux", f);
        }
        if (config != null) {
            var c = new LinkedHashMap<String, Object>();
            if (config.commit() != null) {
                c.put("path", config.path());
                c.put("commit", config.commit());
            }
            if (config.error() != null) {
                var e = new LinkedHashMap<String, Object>();
                e.put("path", config.error().path());
                if (config.error().commit() != null) e.put("commit", config.error().commit());
                if (config.error().line() > 0) e.put("line", config.error().line());
                e.put("message", config.error().message());
                c.put("error", e);
            }
            m.put("config", c);
        }
        return m;
    }
}
