package dev.kastor.bridge.kubeapi.server;

import java.util.List;
import java.util.Optional;

/**
 * Decides whether a CI job may use an agent and who its requests run as. Two ways, chosen by KAS's
 * {@code ci_access_mode}: {@link GitLabJobAuthorizer} asks GitLab's {@code allowed_agents} (what GitLab's KAS does);
 * the standalone one (in {@code config.server}) reads the agent's own {@code ci_access} from its config file.
 */
public interface JobAuthorizer {
    /** An agent a job may use, with the namespace its kubeconfig context should default to (may be null). */
    record AllowedAgent(long id, String defaultNamespace) {}

    /** Checks {@code Authorization: Bearer ci:<agent id>:<job token>}; refusals are Status-shaped. */
    AuthorizedRequest authorize(String authorization) throws ProxyFailure, InterruptedException;

    /**
     * The same decision from what KAS already holds, never waiting (it runs on the client connection's event loop):
     * empty when deciding would need GitLab, the disk or anything else that blocks.
     */
    default Optional<AuthorizedRequest> authorizeFromCache(String authorization) throws ProxyFailure {
        return Optional.empty();
    }

    /** Every agent the job of {@code jobToken} may use (for {@code GET /api/v1/job/agents}). */
    List<AllowedAgent> allowedAgents(String jobToken) throws ProxyFailure, InterruptedException;

    /** The two parts of a CI bearer token. */
    record CiBearer(long agentId, String jobToken) {
        @Override
        public String toString() {
            return "CiBearer[agentId=" + agentId + "]";
        }

        public static CiBearer parse(String authorization) throws ProxyFailure {
            if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
                throw new ProxyFailure(K8sStatus.unauthorized("missing 'Authorization: Bearer ci:<agent id>:<job token>' (use the KUBECONFIG of the job)"));
            }
            var t = BearerToken.parse(authorization, "ci", "bearer token is not of the form ci:<agent id>:<job token>",
                    "agent id in the bearer token is not a number");
            return new CiBearer(t.agentId(), t.secret());
        }
    }
}
