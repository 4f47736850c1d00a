package dev.kastor.bridge.statuspage.server;

import dev.kastor.bridge.statuspage.StatusPageDefaults;
import dev.kastor.bridge.tunnel.rpc.Impersonation;
import dev.kastor.bridge.tunnel.server.TunnelFinder;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What the status page reads of each agent's cluster through its tunnel, as the agent itself: its Flux objects
 * ({@link FluxObjects}) and the inventories {@code kastor kube apply} keeps ({@link Deployments}). A read is kept for
 * {@link #FRESH} and shared: however many pages ask, never more than one read is in flight per agent, and at most
 * {@link #CONCURRENT_READS} agents are read at once. A Flux kind whose CRD the cluster lacks (404) is left out; an agent
 * that cannot be read says why.
 */
final class ClusterReads implements AutoCloseable {
    static final Duration FRESH = Duration.ofSeconds(5);
    /** How long one list may take through the tunnel. */
    static final Duration READ = Duration.ofSeconds(5);
    /** The most one list may be: a cluster with thousands of Flux objects or inventories is cut here, with a message. */
    static final int MAX_LIST_BYTES = 8 * 1024 * 1024;
    /** The most a reconcile's answer (the patched object) may be. */
    static final int MAX_ANSWER_BYTES = 1024 * 1024;
    /**
     * Agents read at once: a page of a large fleet starts a read for every agent it shows, and each may hold a list of up
     * to {@link #MAX_LIST_BYTES}; the others wait their turn (KAS's memory stays within a few such lists).
     */
    static final int CONCURRENT_READS = 8;

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** One read of an agent's cluster, or why it could not be made (then with what was read before the failure). */
    record Snapshot(Instant read, List<AgentView.FluxObject> flux, List<AgentView.Deployment> deployments, String problem) {}

    private final TunnelFinder tunnels;
    private final Clock clock;
    private final ExecutorService readers = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<Long, Snapshot> last = new ConcurrentHashMap<>();
    private final Map<Long, CompletableFuture<Snapshot>> inFlight = new ConcurrentHashMap<>();
    private final Semaphore reading = new Semaphore(CONCURRENT_READS);

    ClusterReads(TunnelFinder tunnels, Clock clock) {
        this.tunnels = tunnels;
        this.clock = clock;
    }

    /** Starts reading the agents whose last read is stale, unless a read of theirs is under way. */
    void start(Collection<Long> agentIds) {
        for (long id : agentIds) reading(id);
    }

    /**
     * The agent's cluster, read at most {@link #FRESH} ago. When that needs a read: a last read younger than
     * {@code servedStale} is given at once while the new one runs (the next refresh shows it); else it waits for the
     * read until {@code deadline} ({@link System#nanoTime()}), past which it gives the last read ended, however old, or
     * null when none has. A slow agent delays its own row's update, never the page.
     */
    Snapshot of(long agentId, long deadline, Duration servedStale) throws InterruptedException {
        CompletableFuture<Snapshot> read = reading(agentId);
        Snapshot before = last.get(agentId);
        if (!read.isDone() && before != null && clock.instant().isBefore(before.read().plus(servedStale))) return before;
        try {
            return read.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            return last.get(agentId);
        } catch (ExecutionException e) {
            return new Snapshot(clock.instant(), List.of(), List.of(), "KAS failed to read the agent's cluster: " + e.getCause());
        }
    }

    /**
     * Sets {@code reconcile.fluxcd.io/requestedAt} on the object at {@code objectPath} (see {@link FluxObjects#objectPath}),
     * as {@code flux reconcile} does, as {@code as}; forgets the agent's last read, so the next page shows the object as
     * it is after the request.
     */
    TunnelCall.Answer requestReconcile(long agentId, String objectPath, Impersonation as) throws TunnelCall.Failed, InterruptedException {
        byte[] patch = JSON.writeValueAsBytes(Map.of("metadata", Map.of("annotations",
                Map.of(StatusPageDefaults.REQUESTED_AT, clock.instant().toString()))));
        var answer = TunnelCall.call(tunnels, agentId, "PATCH", objectPath, patch, "application/merge-patch+json", as, READ, MAX_ANSWER_BYTES);
        last.remove(agentId);
        return answer;
    }

    /** A fresh snapshot, or the read that will give one (started here unless one is under way). */
    private CompletableFuture<Snapshot> reading(long agentId) {
        Snapshot s = last.get(agentId);
        if (s != null && clock.instant().isBefore(s.read().plus(FRESH))) return CompletableFuture.completedFuture(s);
        return inFlight.computeIfAbsent(agentId, id -> {
            var read = new CompletableFuture<Snapshot>();
            readers.execute(() -> {
                Snapshot snapshot;
                try {
                    reading.acquire();
                    try {
                        snapshot = read(id);
                    } finally {
                        reading.release();
                    }
                } catch (InterruptedException e) {
                    snapshot = new Snapshot(clock.instant(), List.of(), List.of(), "KAS is shutting down");
                }
                last.put(id, snapshot);
                inFlight.remove(id);
                read.complete(snapshot);
            });
            return read;
        });
    }

    private Snapshot read(long agentId) {
        var flux = new ArrayList<AgentView.FluxObject>();
        List<AgentView.Deployment> deployments = List.of();
        try {
            for (FluxObjects.Kind kind : FluxObjects.KINDS) {
                JsonNode list = list(agentId, kind.path(), kind.kind() + " objects");
                if (list != null) for (JsonNode item : list.path("items")) flux.add(FluxObjects.object(kind, item));
            }
            JsonNode inventories = list(agentId, Deployments.PATH, "ConfigMaps");
            if (inventories != null) deployments = Deployments.of(inventories);
        } catch (Unreadable e) {
            return new Snapshot(clock.instant(), flux, deployments, e.getMessage());
        }
        return new Snapshot(clock.instant(), flux, deployments, null);
    }

    /** The list at {@code target}, or null when the cluster does not serve that kind (404: its CRD is not installed). */
    private JsonNode list(long agentId, String target, String what) throws Unreadable {
        TunnelCall.Answer a;
        try {
            a = TunnelCall.get(tunnels, agentId, target, READ, MAX_LIST_BYTES);
        } catch (TunnelCall.Failed e) {
            throw new Unreadable(e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unreadable("KAS is shutting down");
        }
        if (a.status() == 404) return null;
        if (a.status() != 200) {
            throw new Unreadable("the API server answered " + a.status() + " to GET " + target
                    + (a.status() == 403 ? ": the agent's service account may not list " + what : ""));
        }
        return JSON.readTree(a.body());
    }

    /** Why a read stopped, for the page. */
    private static final class Unreadable extends Exception {
        Unreadable(String message) {
            super(message, null, false, false);
        }
    }

    @Override
    public void close() {
        readers.shutdownNow();
    }
}
