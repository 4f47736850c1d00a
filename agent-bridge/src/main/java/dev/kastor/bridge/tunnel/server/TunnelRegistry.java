package dev.kastor.bridge.tunnel.server;

import dev.kastor.bridge.agents.AgentStreams;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongConsumer;

/**
 * Idle tunnel streams per agent, in memory (single KAS node). A proxied request takes one idle stream and uses it
 * exactly once; the agent's pool opens replacements. {@link #take} waits a little when the agent is connected but
 * all its streams are busy, and answers at once when the agent has no stream at all, so a request never hangs.
 */
public final class TunnelRegistry implements AgentStreams {
    private final Map<Long, Deque<ServerTunnel>> idle = new HashMap<>();
    /** Every open stream of each agent, idle or busy (an agent is here while it has one), so revoking can end them all. */
    private final Map<Long, Set<ServerTunnel>> streams = new HashMap<>();
    /** When each agent last had a stream: between two uses an agent may hold no stream for a moment. */
    private final Map<Long, Long> lastSeen = new HashMap<>();
    private static final long RECENTLY = Duration.ofSeconds(5).toNanos();
    /** When this node started taking streams (its agents' reconnect window starts here). */
    private final long startedAt;
    /** When each agent got its first stream here, while it has one; then when its last one closed. */
    private final Map<Long, Instant> since = new HashMap<>();
    /** Told when an agent gets its first stream here and when its last one closes (the multi-replica tracker). */
    private volatile LongConsumer onFirstOpened = id -> {};
    private volatile LongConsumer onLastClosed = id -> {};

    public TunnelRegistry() {
        this(Duration.ZERO);
    }

    /** A registry of a node that has been up for {@code upFor} already (tests of what KAS says after its start). */
    TunnelRegistry(Duration upFor) {
        this.startedAt = System.nanoTime() - upFor.toNanos();
    }

    /**
     * Watches agents arriving on and leaving this node. The callbacks run under the registry's lock: they must only
     * hand the news on (e.g. to an executor), never block.
     */
    public void watch(LongConsumer firstOpened, LongConsumer lastClosed) {
        this.onFirstOpened = firstOpened;
        this.onLastClosed = lastClosed;
    }

    @Override
    public String kind() {
        return "tunnel";
    }

    /** Agents with at least one tunnel stream on this node now. */
    @Override
    public synchronized Set<Long> connectedAgentIds() {
        return Set.copyOf(streams.keySet());
    }

    synchronized void opened(ServerTunnel tunnel) {
        long agentId = tunnel.agentId();
        Set<ServerTunnel> all = streams.computeIfAbsent(agentId, k -> new HashSet<>());
        if (all.add(tunnel) && all.size() == 1) {
            since.put(agentId, Instant.now());
            onFirstOpened.accept(agentId);
        }
        lastSeen.put(agentId, System.nanoTime());
    }

    synchronized void closed(ServerTunnel tunnel) {
        Deque<ServerTunnel> q = idle.get(tunnel.agentId());
        if (q != null) q.remove(tunnel);
        Set<ServerTunnel> all = streams.get(tunnel.agentId());
        if (all != null && all.remove(tunnel) && all.isEmpty()) {
            streams.remove(tunnel.agentId());
            since.put(tunnel.agentId(), Instant.now());
            onLastClosed.accept(tunnel.agentId());
        }
        lastSeen.put(tunnel.agentId(), System.nanoTime());
        notifyAll();
    }

    synchronized void idle(ServerTunnel tunnel) {
        idle.computeIfAbsent(tunnel.agentId(), k -> new ArrayDeque<>()).addLast(tunnel);
        notifyAll();
    }

    /**
     * Ends every stream of the agent on this node, idle or busy: requests in flight on them break with {@code why}, and
     * {@link #take} finds none (the agent is not connected any more). Returns how many there were.
     */
    @Override
    public int revoke(long agentId, String why) {
        List<ServerTunnel> all;
        synchronized (this) {
            all = List.copyOf(streams.getOrDefault(agentId, Set.of()));
        }
        // Outside the registry's lock: a tunnel takes its own lock first and the registry's second (finish, revoke).
        for (ServerTunnel t : all) t.revoke(why);
        synchronized (this) {
            lastSeen.remove(agentId); // not "seen a moment ago": a request must not wait for a stream that cannot come
            notifyAll();
        }
        return all.size();
    }

    /**
     * An agent's tunnel streams on this node: how many are open and how many of those idle, and since when it has had
     * streams ({@code open} above 0) or since when it has had none. Empty for an agent never connected to this node.
     */
    public record Presence(int open, int idle, Instant since) {
        public boolean connected() {
            return open > 0;
        }
    }

    public synchronized Optional<Presence> presence(long agentId) {
        Instant at = since.get(agentId);
        if (at == null) return Optional.empty();
        Set<ServerTunnel> all = streams.getOrDefault(agentId, Set.of());
        Deque<ServerTunnel> waiting = idle.get(agentId);
        return Optional.of(new Presence(all.size(), waiting == null ? 0 : waiting.size(), at));
    }

    /** Whether the agent holds at least one tunnel stream (idle or busy) on this node. */
    public synchronized boolean connected(long agentId) {
        return streams.containsKey(agentId);
    }

    private boolean recentlySeen(long agentId) {
        Long seen = lastSeen.get(agentId);
        return seen != null && System.nanoTime() - seen < RECENTLY;
    }

    /** How long this node has been taking streams. */
    public Duration upFor() {
        return Duration.ofNanos(System.nanoTime() - startedAt);
    }

    /** Agents with at least one tunnel stream. */
    public synchronized int connectedAgents() {
        return streams.size();
    }

    /** Tunnel streams open over all agents. */
    public synchronized int openTunnels() {
        return streams.values().stream().mapToInt(Set::size).sum();
    }

    /** An idle stream of the agent, marked busy, if one is idle now; else null. */
    public synchronized ServerTunnel takeNow(long agentId) {
        Deque<ServerTunnel> q = idle.get(agentId);
        while (q != null && !q.isEmpty()) {
            ServerTunnel t = q.pollFirst();
            if (t.claim()) return t;
        }
        return null;
    }

    /**
     * An idle stream of the agent, marked busy; empty when the agent is not connected (no stream now nor in the last
     * few seconds), or none became idle within {@code wait}.
     */
    public synchronized Optional<ServerTunnel> take(long agentId, Duration wait) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            if (!streams.containsKey(agentId) && !recentlySeen(agentId)) return Optional.empty();
            ServerTunnel t = takeNow(agentId);
            if (t != null) return Optional.of(t);
            long left = deadline - System.nanoTime();
            if (left <= 0) return Optional.empty();
            wait(Math.max(1, left / 1_000_000));
        }
    }
}
