package dev.kastor.bridge.kubeapi.server;

import dev.kastor.bridge.tunnel.rpc.Impersonation;

/** A job allowed to use an agent, and who its requests run as in the cluster. */
public record AuthorizedRequest(long agentId, long jobId, long projectId, Impersonation impersonation) {}
