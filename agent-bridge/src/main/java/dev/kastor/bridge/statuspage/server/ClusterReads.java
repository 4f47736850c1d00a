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

    /**
     * One read of an agent's cluster: when it {@code started} and when it ended ({@code read}), what it found, and why
     * some of it could not be read ({@code problem}, null when all was).
     */
    record Snapshot(Instant started, Instant read, List<AgentView.FluxObject> flux, List<AgentView.Deployment> deployments, String problem) {}

    /** A read under way, and when it started. */
    private record Flight(Instant started, CompletableFuture<Snapshot> result) {}

    private final TunnelFinder tunnels;
    private final Clock clock;
    private final ExecutorService readers = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<Long, Snapshot> last = new ConcurrentHashMap<>();
    private final Map<Long, Flight> inFlight = new ConcurrentHashMap<>();
    /** Per agent, when its cluster was last changed from here (a reconcile): reads started before it are not current. */
    private final Map<Long, Instant> changed = new ConcurrentHashMap<>();
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
            // a read always completes with a snapshot (see reading); this is a bug's trace, not a cluster's answer
            return new Snapshot(clock.instant(), clock.instant(), List.of(), List.of(), "KAS failed to read the agent's cluster: " + e.getCause());
        }
    }

    /**
     * Sets {@code reconcile.fluxcd.io/requestedAt} on the object at {@code objectPath} (see {@link FluxObjects#objectPath}),
     * as {@code flux reconcile} does, as {@code as}. The agent's last read, and any read that started before the patch,
     * stop being current: the next page shows them while a new read runs, and that read's result once it ends.
     */
    TunnelCall.Answer requestReconcile(long agentId, String objectPath, Impersonation as) throws TunnelCall.Failed, InterruptedException {
        byte[] patch = JSON.writeValueAsBytes(Map.of("metadata", Map.of("annotations",
                Map.of(StatusPageDefaults.REQUESTED_AT, clock.instant().toString()))));
        var answer = TunnelCall.call(tunnels, agentId, "PATCH", objectPath, patch, "application/merge-patch+json", as, READ, MAX_ANSWER_BYTES);
        changed.put(agentId, clock.instant());
        return answer;
    }

    /**
     * A current snapshot (ended at most {@link #FRESH} ago, started after the cluster was last changed from here), or
     * the read that will give one: the one under way if it is current too, else a new one.
     */
    private CompletableFuture<Snapshot> reading(long agentId) {
        Snapshot s = last.get(agentId);
        if (s != null && current(agentId, s.started()) && clock.instant().isBefore(s.read().plus(FRESH))) return CompletableFuture.completedFuture(s);
        return inFlight.compute(agentId, (id, flight) -> flight != null && current(id, flight.started()) ? flight : start(id)).result();
    }

    private boolean current(long agentId, Instant started) {
        Instant change = changed.get(agentId);
        return change == null || started.isAfter(change);
    }

    private Flight start(long agentId) {
        var flight = new Flight(clock.instant(), new CompletableFuture<>());
        readers.execute(() -> {
            Snapshot snapshot = null;
            try {
                reading.acquire();
                try {
                    snapshot = read(agentId, flight.started());
                } finally {
                    reading.release();
                }
            } catch (InterruptedException e) {
                snapshot = new Snapshot(flight.started(), clock.instant(), List.of(), List.of(), "KAS is shutting down");
            } catch (RuntimeException e) {
                // never leave the flight unfinished: the agent would not be read again until KAS restarts
                snapshot = new Snapshot(flight.started(), clock.instant(), List.of(), List.of(), "KAS failed to read the agent's cluster: " + e);
            } finally {
                if (snapshot == null) snapshot = new Snapshot(flight.started(), clock.instant(), List.of(), List.of(), "KAS failed to read the agent's cluster");
                Snapshot done = snapshot;
                last.merge(agentId, done, (old, now) -> now.started().isBefore(old.started()) ? old : now);
                inFlight.remove(agentId, flight);
                flight.result().complete(done);
            }
        });
        return flight;
    }

    /**
     * Each list on its own: one kind the agent may not list, or one the API server fails, is said as a problem and
     * leaves the others shown.
     */
    private Snapshot read(long agentId, Instant started) {
        var flux = new ArrayList<AgentView.FluxObject>();
        List<AgentView.Deployment> deployments = List.of();
        var problems = new ArrayList<String>();
        for (FluxObjects.Kind kind : FluxObjects.KINDS) {
            try {
                JsonNode list = list(agentId, kind.path(), kind.kind() + " objects");
                if (list != null) for (JsonNode item : list.path("items")) flux.add(FluxObjects.object(kind, item));
            } catch (Unreadable e) {
                problems.add(e.getMessage());
                if (e.unreachable()) return new Snapshot(started, clock.instant(), flux, deployments, e.getMessage());
            }
        }
        try {
            JsonNode inventories = list(agentId, Deployments.PATH, "ConfigMaps");
            if (inventories != null) deployments = Deployments.of(inventories);
        } catch (Unreadable e) {
            problems.add(e.getMessage());
        }
        return new Snapshot(started, clock.instant(), flux, deployments, problems.isEmpty() ? null : String.join("; ", problems));
    }

    /** The list at {@code target}, or null when the cluster does not serve that kind (404: its CRD is not installed). */
    private JsonNode list(long agentId, String target, String what) throws Unreadable {
        TunnelCall.Answer a;
        try {
            a = TunnelCall.get(tunnels, agentId, target, READ, MAX_LIST_BYTES);
        } catch (TunnelCall.Failed e) {
            throw new Unreadable(e.getMessage(), true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unreadable("KAS is shutting down", true);
        }
        if (a.status() == 404) return null;
        if (a.status() != 200) {
            throw new Unreadable("the API server answered " + a.status() + " to GET " + target
                    + (a.status() == 403 ? ": the agent's service account may not list " + what : ""), false);
        }
        try {
            return JSON.readTree(a.body());
        } catch (tools.jackson.core.JacksonException e) {
            throw new Unreadable("the API server answered GET " + target + " with something that is not JSON", false);
        }
    }

    /** Why a list could not be read, for the page; {@code unreachable} when the agent itself could not be (no list can be). */
    private static final class Unreadable extends Exception {
        private final boolean unreachable;

        Unreadable(String message, boolean unreachable) {
            super(message, null, false, false);
            this.unreachable = unreachable;
        }

        boolean unreachable() {
            return unreachable;
        }
    }

    @Override
    public void close() {
        readers.shutdownNow();
    }
}
