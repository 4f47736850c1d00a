package dev.kastor.bridge.routing.server;

import java.time.Duration;
import java.util.Map;

/**
 * The agents' registrations, shared by all replicas through Redis: an agent registers with whichever replica its call
 * reaches, and every replica can then say what it registered (the status page). Provided by the routing module only
 * with several replicas. One hash per agent, a field per agent instance, the value opaque to routing.
 */
public interface SharedRegistrations {
    /** Records one instance's registration, kept {@code keep} after its last; written in the background, in order. */
    void put(long agentId, String instanceId, String value, Duration keep);

    /**
     * The agent's instances' values, by instance id.
     *
     * @throws AgentReplicas.Unreachable when Redis cannot be asked now
     */
    Map<String, String> of(long agentId) throws AgentReplicas.Unreachable;
}
