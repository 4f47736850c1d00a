package dev.kastor.bridge.kubeapi.server;

import java.net.URI;
import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/**
 * {@code ci_access_mode: gitlab}, what GitLab's KAS does: the {@code ci:<agentId>:<jobToken>} bearer token names
 * both, GitLab's {@code GET /api/v4/job/allowed_agents} (with {@code JOB-TOKEN}) lists the agents the job may use,
 * with each agent's {@code access_as} and {@code default_namespace} as GitLab read them from the config file.
 */
public final class GitLabJobAuthorizer implements JobAuthorizer {
    private final GitLabJobApi allowedAgents;

    public GitLabJobAuthorizer(URI gitlabUrl, HttpClient http) {
        this.allowedAgents = new GitLabJobApi(gitlabUrl, "/api/v4/job/allowed_agents", http);
    }

    @Override
    public AuthorizedRequest authorize(String authorization) throws ProxyFailure, InterruptedException {
        CiBearer bearer = CiBearer.parse(authorization);
        return decide(bearer.agentId(), allowedAgents.get(bearer.jobToken()));
    }

    @Override
    public Optional<AuthorizedRequest> authorizeFromCache(String authorization) throws ProxyFailure {
        CiBearer bearer = CiBearer.parse(authorization);
        JsonNode allowed = allowedAgents.cachedAnswer(bearer.jobToken());
        return allowed == null ? Optional.empty() : Optional.of(decide(bearer.agentId(), allowed));
    }

    private static AuthorizedRequest decide(long agentId, JsonNode allowed) throws ProxyFailure {
        for (JsonNode a : allowed.path("allowed_agents")) {
            if (a.path("id").asLong() == agentId) {
                JsonNode config = a.path("configuration");
                var imp = AccessAs.of(config.path("access_as"), agentId, a.path("config_project").path("id").asLong(), JobFacts.of(allowed));
                return new AuthorizedRequest(agentId, allowed.path("job").path("id").asLong(), allowed.path("project").path("id").asLong(), imp);
            }
        }
        throw new ProxyFailure(K8sStatus.forbidden("this job's project is not allowed to use agent " + agentId
                + " (add it to ci_access in the agent's config.yaml)"));
    }

    @Override
    public List<AllowedAgent> allowedAgents(String jobToken) throws ProxyFailure, InterruptedException {
        var out = new ArrayList<AllowedAgent>();
        for (JsonNode a : allowedAgents.get(jobToken).path("allowed_agents")) {
            out.add(new AllowedAgent(a.path("id").asLong(), a.path("configuration").path("default_namespace").asString(null)));
        }
        return out;
    }
}
