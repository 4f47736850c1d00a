package dev.kastor.bridge.kubeapi.server;

import dev.kastor.bridge.agents.AgentStore;
import dev.kastor.bridge.api.ApiEndpoint;
import dev.kastor.bridge.api.ApiRequest;
import dev.kastor.bridge.api.ApiResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /api/v1/job/agents} with header {@code JOB-TOKEN}: the agents this CI job may use, with what a
 * KUBECONFIG needs (what GitLab injects into jobs, and what {@code kastor kube kubeconfig} writes for Kastor's KAS):
 *
 * <pre>
 * {"k8s_proxy_url": "https://kas.example.com/k8s-proxy",
 *  "agents": [{"id": 1, "config_project": "group/project", "name": "prod", "default_namespace": "apps"}]}
 * </pre>
 *
 * Errors are 401 (job token refused by GitLab) and 503 (GitLab unreachable), as JSON {@code {"message": …}}. Which
 * agents are listed depends on KAS's {@code ci_access_mode} (see {@link JobAuthorizer}).
 */
final class JobAgentsEndpoint implements ApiEndpoint {

    private final JobAuthorizer authorizer;
    private final AgentStore agents;
    private final String k8sProxyUrl;

    JobAgentsEndpoint(JobAuthorizer authorizer, AgentStore agents, String k8sProxyUrl) {
        this.authorizer = authorizer;
        this.agents = agents;
        this.k8sProxyUrl = k8sProxyUrl;
    }

    @Override
    public ApiResponse handle(ApiRequest request) throws InterruptedException {
        if (!request.method().equals("GET")) return ApiResponse.message(405, "use GET");
        List<JobAuthorizer.AllowedAgent> allowed;
        try {
            allowed = JobTokenRequests.allowedAgents(authorizer, request);
        } catch (JobTokenRequests.Refused r) {
            return r.response();
        }
        return render(allowed, agents, k8sProxyUrl);
    }

    /**
     * The answer's body for {@code allowed} agents: those this KAS knows (registered, not revoked) with what a
     * KUBECONFIG needs. {@code GET /api/v1/user/agents} answers in this same shape.
     */
    static ApiResponse render(List<JobAuthorizer.AllowedAgent> allowed, AgentStore agents, String k8sProxyUrl) {
        var list = new ArrayList<Map<String, Object>>();
        for (var a : allowed) {
            long id = a.id();
            var known = agents.byId(id).filter(AgentStore.Agent::active);
            if (known.isEmpty()) continue; // allowed by GitLab but not registered on this KAS
            var m = new LinkedHashMap<String, Object>();
            m.put("id", id);
            m.put("config_project", known.get().configProject());
            m.put("name", known.get().name());
            String ns = a.defaultNamespace();
            if (ns != null) m.put("default_namespace", ns);
            list.add(m);
        }
        var body = new LinkedHashMap<String, Object>();
        body.put("k8s_proxy_url", k8sProxyUrl);
        body.put("agents", list);
        return ApiResponse.json(200, body);
    }
}
