package dev.kastor.bridge.agents;

import java.util.Set;

/**
 * Long-lived calls agents hold on this KAS replica (tunnel streams, configuration watches): what
 * {@link RevocationSweep} ends when an agent is revoked, since a token is checked only when a call starts.
 */
public interface AgentStreams {
    /** Short name for logs, e.g. {@code tunnel}. */
    String kind();

    /** Agents with at least one such call open here now. */
    Set<Long> connectedAgentIds();

    /** Ends every such call of the agent here, telling it {@code why}; returns how many there were. */
    int revoke(long agentId, String why);
}
