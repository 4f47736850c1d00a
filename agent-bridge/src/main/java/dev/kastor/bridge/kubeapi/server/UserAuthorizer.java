package dev.kastor.bridge.kubeapi.server;

import java.util.List;

/**
 * Decides whether a person may use an agent with a personal access token, and who their requests run as: GitLab's
 * "user access", from the agent's {@code user_access} (built by the {@code useraccess} feature, which reads the
 * agents' config files). Refusals are Status-shaped and never name the token.
 */
public interface UserAuthorizer {
    /** For {@code Authorization: Bearer pat:<agent id>:<personal access token>}. */
    AuthorizedRequest authorize(long agentId, String personalAccessToken) throws ProxyFailure, InterruptedException;

    /** Every agent whose {@code user_access} admits the token's owner (for {@code GET /api/v1/user/agents}). */
    List<JobAuthorizer.AllowedAgent> allowedAgents(String personalAccessToken) throws ProxyFailure, InterruptedException;

    /** The GitLab user a personal access token belongs to (for the status page's sign-in); refused as GitLab refuses it. */
    Person person(String personalAccessToken) throws ProxyFailure, InterruptedException;

    /**
     * Whether the person is at least Reporter in the project {@code fullPath} (memberships inherited from its groups
     * count), as GitLab requires to read a project's commit statuses; false for a project GitLab does not know.
     */
    boolean mayReadProject(long userId, String fullPath) throws ProxyFailure, InterruptedException;

    /** A GitLab user, as KAS names them in messages. */
    record Person(long userId, String username) {}

    /** The two parts of a user's bearer token, {@code pat:<agent id>:<personal access token>}. */
    record PatBearer(long agentId, String token) {
        static final String PREFIX = "pat:";

        @Override
        public String toString() {
            return "PatBearer[agentId=" + agentId + "]";
        }

        /** Whether {@code authorization} carries a user's token rather than a CI job's. */
        static boolean present(String authorization) {
            return authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
                    && authorization.substring(7).stripLeading().startsWith(PREFIX);
        }

        static PatBearer parse(String authorization) throws ProxyFailure {
            var t = BearerToken.parse(authorization, "pat", "bearer token is not of the form pat:<agent id>:<personal access token>"
                    + " (the kubeconfig's user token; glab cluster agent get-token makes a token with scope k8s_proxy)",
                    "agent id in the bearer token pat:<agent id>:<personal access token> is not a number");
            return new PatBearer(t.agentId(), t.secret());
        }
    }
}
