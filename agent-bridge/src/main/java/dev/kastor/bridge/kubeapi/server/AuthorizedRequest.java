package dev.kastor.bridge.kubeapi.server;

import dev.kastor.bridge.tunnel.rpc.Impersonation;

/**
 * A CI job or a person allowed to use an agent, and who its requests run as in the cluster. A job has its
 * {@code jobId} and {@code projectId} and no {@code userId}; a person (user access) only a {@code userId}: the others
 * are 0.
 */
public record AuthorizedRequest(long agentId, long jobId, long projectId, long userId, Impersonation impersonation) {
    /** A CI job's request. */
    public AuthorizedRequest(long agentId, long jobId, long projectId, Impersonation impersonation) {
        this(agentId, jobId, projectId, 0, impersonation);
    }

    /** A person's request (user access with a personal access token). */
    public static AuthorizedRequest ofUser(long agentId, long userId, Impersonation impersonation) {
        return new AuthorizedRequest(agentId, 0, 0, userId, impersonation);
    }

    /** Who holds the request's share of the agent ({@link JobShares}), in messages: {@code job <id>} or {@code user <id>}. */
    public String requester() {
        return userId != 0 ? "user " + userId : "job " + jobId;
    }

    /** The log's field for who sent the request: {@code job_id}, or {@code user_id} for a person. */
    String requesterField() {
        return userId != 0 ? "user_id" : "job_id";
    }

    long requesterId() {
        return userId != 0 ? userId : jobId;
    }
}
