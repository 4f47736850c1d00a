package dev.kastor.bridge.kubeapi.server;

import dev.kastor.bridge.tunnel.rpc.Impersonation;

/**
 * A CI job or a person allowed to use an agent, and who its requests run as in the cluster. {@code requester} names
 * who holds the request's share of the agent ({@link JobShares}) in messages and logs: {@code job <id>} or
 * {@code user <id>}; {@code jobId} and {@code projectId} are 0 for a person.
 */
public record AuthorizedRequest(long agentId, long jobId, long projectId, Impersonation impersonation, String requester) {
    /** A CI job's request. */
    public AuthorizedRequest(long agentId, long jobId, long projectId, Impersonation impersonation) {
        this(agentId, jobId, projectId, impersonation, "job " + jobId);
    }

    /** A person's request (user access with a personal access token). */
    public static AuthorizedRequest ofUser(long agentId, long userId, Impersonation impersonation) {
        return new AuthorizedRequest(agentId, 0, 0, impersonation, "user " + userId);
    }
}
