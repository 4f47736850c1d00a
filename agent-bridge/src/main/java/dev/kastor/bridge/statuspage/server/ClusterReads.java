package dev.kastor.bridge.statuspage.server;

import dev.kastor.bridge.tunnel.server.TunnelFinder;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Each agent's Flux objects (OCIRepository, GitRepository, Kustomization, HelmRelease), read through its tunnel as the
 * agent itself, for the status page: their Ready condition and the revision they hold or applied. A read is kept for
 * {@link #FRESH} and shared: however many pages ask, never more than one read is in flight per agent. A kind whose CRD
 * the cluster lacks (404) is left out; an agent that cannot be read says why.
 */
final class FluxObjects implements AutoCloseable {
    static final Duration FRESH = Duration.ofSeconds(5);
    /** How long one kind's list may take through the tunnel. */
    static final Duration READ = Duration.ofSeconds(5);
    /** The most one list may be: a cluster with thousands of Flux objects is cut here, with a message. */
    static final int MAX_LIST_BYTES = 8 * 1024 * 1024;
    /** The most a reconcile's answer (the patched object) may be. */
    static final int MAX_ANSWER_BYTES = 1024 * 1024;
    /**
     * Agents read at once: a page of a large fleet starts a read for every agent it shows, and each may hold a list of up
     * to {@link #MAX_LIST_BYTES}; the others wait their turn (KAS's memory stays within a few such lists).
     */
    static final int CONCURRENT_READS = 8;

    /** A Flux kind, where the API serves it, and where its revision is. */
    private record Kind(String kind, String groupVersion, String plural, boolean source) {
        /** Every object of the kind, in all namespaces. */
        String path() {
            return "/apis/" + groupVersion + "/" + plural;
        }

        String path(String namespace, String name) {
            return "/apis/" + groupVersion + "/namespaces/" + namespace + "/" + plural + "/" + name;
        }
    }

    private static final List<Kind> KINDS = List.of(
            new Kind("OCIRepository", "source.toolkit.fluxcd.io/v1", "ocirepositories", true),
            new Kind("GitRepository", "source.toolkit.fluxcd.io/v1", "gitrepositories", true),
            new Kind("Kustomization", "kustomize.toolkit.fluxcd.io/v1", "kustomizations", false),
            new Kind("HelmRelease", "helm.toolkit.fluxcd.io/v2", "helmreleases", false));

    /** Kubernetes object names and namespaces (DNS-1123 subdomain): all that may go into a reconcile's path. */
    private static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");

    /**
     * The API path of one Flux object, for a reconcile request; empty when {@code kind} is none of the four, or the
     * namespace or name is not a Kubernetes name (nothing else can reach the path).
     */
    static java.util.Optional<String> objectPath(String kind, String namespace, String name) {
        if (namespace == null || name == null || !NAME.matcher(namespace).matches() || !NAME.matcher(name).matches()) {
            return java.util.Optional.empty();
        }
        return KINDS.stream().filter(k -> k.kind().equals(kind)).findFirst().map(k -> k.path(namespace, name));
    }

    /** Kinds a reconcile may name. */
    static List<String> kinds() {
        return KINDS.stream().map(Kind::kind).toList();
    }

    /**
     * Sets {@code reconcile.fluxcd.io/requestedAt} on the object at {@code objectPath} (see {@link #objectPath}), as
     * {@code flux reconcile} does, as {@code as}; forgets the agent's last read, so the next page shows the object as it
     * is after the request.
     */
    TunnelCall.Answer requestReconcile(long agentId, String objectPath, dev.kastor.bridge.tunnel.rpc.Impersonation as)
            throws TunnelCall.Failed, InterruptedException {
        byte[] patch = JSON.writeValueAsBytes(Map.of("metadata", Map.of("annotations",
                Map.of(dev.kastor.bridge.statuspage.StatusPageDefaults.REQUESTED_AT, clock.instant().toString()))));
        var answer = TunnelCall.call(tunnels, agentId, "PATCH", objectPath, patch, "application/merge-patch+json", as, READ, MAX_ANSWER_BYTES);
        last.remove(agentId);
        return answer;
    }

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** One read of an agent's objects, or why it could not be made. */
    record Snapshot(Instant read, List<AgentView.FluxObject> objects, String problem) {}

    private final TunnelFinder tunnels;
    private final Clock clock;
    private final ExecutorService readers = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<Long, Snapshot> last = new ConcurrentHashMap<>();
    private final Map<Long, CompletableFuture<Snapshot>> inFlight = new ConcurrentHashMap<>();
    private final java.util.concurrent.Semaphore reading = new java.util.concurrent.Semaphore(CONCURRENT_READS);

    FluxObjects(TunnelFinder tunnels, Clock clock) {
        this.tunnels = tunnels;
        this.clock = clock;
    }

    /** Starts reading the agents whose last read is stale, unless a read of theirs is under way. */
    void start(java.util.Collection<Long> agentIds) {
        for (long id : agentIds) reading(id);
    }

    /** The agent's objects, read at most {@link #FRESH} ago; waits for a read that is under way. */
    Snapshot of(long agentId) throws InterruptedException {
        CompletableFuture<Snapshot> read = reading(agentId);
        try {
            return read.get();
        } catch (ExecutionException e) {
            return new Snapshot(clock.instant(), List.of(), "KAS failed to read the agent's Flux objects: " + e.getCause());
        }
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
                    snapshot = new Snapshot(clock.instant(), List.of(), "KAS is shutting down");
                }
                last.put(id, snapshot);
                inFlight.remove(id);
                read.complete(snapshot);
            });
            return read;
        });
    }

    private Snapshot read(long agentId) {
        var objects = new ArrayList<AgentView.FluxObject>();
        for (Kind kind : KINDS) {
            TunnelCall.Answer a;
            try {
                a = TunnelCall.get(tunnels, agentId, kind.path(), READ, MAX_LIST_BYTES);
            } catch (TunnelCall.Failed e) {
                return new Snapshot(clock.instant(), objects, e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Snapshot(clock.instant(), objects, "KAS is shutting down");
            }
            if (a.status() == 404) continue; // the cluster has no such CRD: Flux is not installed, or not this controller
            if (a.status() != 200) {
                return new Snapshot(clock.instant(), objects, "the API server answered " + a.status() + " to GET " + kind.path()
                        + (a.status() == 403 ? ": the agent's service account may not list " + kind.kind() + " objects" : ""));
            }
            for (JsonNode item : JSON.readTree(a.body()).path("items")) objects.add(object(kind, item));
        }
        return new Snapshot(clock.instant(), objects, null);
    }

    private static AgentView.FluxObject object(Kind kind, JsonNode item) {
        JsonNode ready = null;
        for (JsonNode c : item.path("status").path("conditions")) {
            if ("Ready".equals(c.path("type").asString())) ready = c;
        }
        String revision = kind.source() ? item.path("status").path("artifact").path("revision").asString(null)
                : item.path("status").path("lastAppliedRevision").asString(null);
        return new AgentView.FluxObject(kind.kind(), item.path("metadata").path("namespace").asString(""), item.path("metadata").path("name").asString(""),
                ready == null ? "Unknown" : ready.path("status").asString("Unknown"),
                ready == null ? null : ready.path("reason").asString(null),
                ready == null ? null : ready.path("message").asString(null),
                revision,
                ready == null ? null : ready.path("lastTransitionTime").asString(null));
    }

    @Override
    public void close() {
        readers.shutdownNow();
    }
}
