package dev.kastor.bridge.agents;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/**
 * The long-lived calls agents hold on this replica, by agent: what an {@link AgentStreams} keeps so that
 * {@link RevocationSweep} can name the agents connected and end one agent's calls. An agent with no call left has no
 * entry. Safe from any thread.
 */
public final class AgentCalls<C> {
    private final ConcurrentHashMap<Long, Set<C>> open = new ConcurrentHashMap<>();

    public void add(long agentId, C call) {
        open.computeIfAbsent(agentId, k -> ConcurrentHashMap.newKeySet()).add(call);
    }

    public void remove(long agentId, C call) {
        open.computeIfPresent(agentId, (k, calls) -> {
            calls.remove(call);
            return calls.isEmpty() ? null : calls;
        });
    }

    /** Agents with at least one call open now. */
    public Set<Long> agentIds() {
        return Set.copyOf(open.keySet());
    }

    /** The agent's calls open now (a copy: ending them may remove them meanwhile). */
    public List<C> of(long agentId) {
        return List.copyOf(open.getOrDefault(agentId, Set.of()));
    }

    /** Every open call with its agent. */
    public void forEach(BiConsumer<Long, C> action) {
        open.forEach((agentId, calls) -> calls.forEach(c -> action.accept(agentId, c)));
    }

    public int count() {
        return open.values().stream().mapToInt(Set::size).sum();
    }
}
