package dev.kastor.bridge.kubeapi.server;

import dev.kastor.bridge.agents.AgentStore;
import dev.kastor.bridge.api.ApiEndpoint;
import dev.kastor.bridge.api.ApiRequest;
import dev.kastor.bridge.api.ApiResponse;

/**
 * {@code GET /api/v1/user/agents} with {@code Authorization: Bearer <personal access token>} (no {@code pat:} prefix:
 * the person has chosen no agent yet): the agents whose {@code user_access} admits the token's owner, in the shape of
 * {@code GET /api/v1/job/agents}, for {@code kastor kube kubeconfig --user}. Errors are 401 (token refused), 403
 * (scope missing), 503 (GitLab unreachable or user access not set up), as JSON {@code {"message": …}}.
 */
final class UserAgentsEndpoint implements ApiEndpoint {
    private final UserAuthorizer authorizer;
    private final AgentStore agents;
    private final String k8sProxyUrl;

    /** {@code authorizer} null when this KAS offers no user access. */
    UserAgentsEndpoint(UserAuthorizer authorizer, AgentStore agents, String k8sProxyUrl) {
        this.authorizer = authorizer;
        this.agents = agents;
        this.k8sProxyUrl = k8sProxyUrl;
    }

    @Override
    public ApiResponse handle(ApiRequest request) throws InterruptedException {
        if (!request.method().equals("GET")) return ApiResponse.message(405, "use GET");
        String header = request.header("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7) || header.substring(7).isBlank()) {
            return ApiResponse.message(401, "missing 'Authorization: Bearer <personal access token>' (a token with scope k8s_proxy)");
        }
        if (authorizer == null) return ApiResponse.message(404, "this KAS offers no user access: it runs without gitlab.url (gitlab.local_jobs_file)");
        try {
            return JobAgentsEndpoint.render(authorizer.allowedAgents(header.substring(7).trim()), agents, k8sProxyUrl);
        } catch (ProxyFailure f) {
            return ApiResponse.message(f.status().code(), f.status().message());
        }
    }
}
