package dev.kastor.bridge.statuspage.server;

import dev.kastor.bridge.agents.AgentStore;
import dev.kastor.bridge.config.server.AgentConfigurations;
import dev.kastor.bridge.registration.server.RegistrationServer;
import dev.kastor.bridge.routing.server.AgentReplicas;
import dev.kastor.bridge.statuspage.StatusPageDefaults;
import dev.kastor.bridge.tunnel.server.TunnelRegistry;
import java.time.Duration;
import dev.kastor.bridge.kubeapi.server.ProxyFailure;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What this KAS knows of one agent: its tunnel streams here and since when it has had some (or none), which replicas
 * hold it when there are several, the last registration of each of its pods, its configuration file (the commit
 * loaded, and why the newest file was not used), and, for an agent connected to any replica, what its cluster holds
 * (its Flux objects and Kastor's deployments, read through the replica that holds it). Each source is another
 * module's; one that is not there leaves its part null.
 */
final class AgentFacts implements AutoCloseable {
    private final Optional<TunnelRegistry> tunnels;
    private final Optional<AgentReplicas> replicas;
    private final Optional<RegistrationServer> registrations;
    private final Optional<AgentConfigurations> configs;
    private final Optional<ClusterReads> clusters;
    private final Optional<CommitStatuses> statuses;

    /** The commits of one agent whose external jobs are shown at most; a page of many agents asks GitLab little. */
    static final int MAX_COMMITS = 10;
    /** External jobs shown per agent at most, newest first. */
    static final int MAX_JOBS = 50;

    /** Who looks: an operator, who sees everything, or a person. */
    interface Viewer {
        boolean operator();

        /** Whether they may see a project's commit statuses (a person: GitLab lets them read the project). */
        boolean mayRead(String fullPath) throws ProxyFailure, InterruptedException;
    }

    /** A person's access checks, asked of GitLab beside the page: one not answered by the page's deadline counts next time. */
    private final java.util.concurrent.ExecutorService checks = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();

    AgentFacts(Optional<TunnelRegistry> tunnels, Optional<AgentReplicas> replicas, Optional<RegistrationServer> registrations,
               Optional<AgentConfigurations> configs, Optional<ClusterReads> clusters, Optional<CommitStatuses> statuses) {
        this.tunnels = tunnels;
        this.replicas = replicas;
        this.registrations = registrations;
        this.configs = configs;
        this.clusters = clusters;
        this.statuses = statuses;
    }

    /** Where an agent is held: {@code replicas} null on a single node; {@code problem} when the tracker cannot be asked. */
    private record Held(boolean here, List<String> replicas, String problem) {
        boolean anywhere() {
            return here || (replicas != null && !replicas.isEmpty());
        }
    }

    /**
     * The agents' facts, their clusters read side by side (each agent's read waits on its own tunnel only), waiting as
     * {@code freshness} says for them all: an agent whose read has not ended by then shows its last one, or "reading".
     */
    List<AgentView> of(List<AgentStore.Agent> agents, Viewer viewer, StatusPageDefaults.Freshness freshness) throws InterruptedException {
        long deadline = System.nanoTime() + freshness.waitAtMost().toNanos();
        var held = new HashMap<Long, Held>();
        String trackerDown = null;
        for (AgentStore.Agent a : agents) {
            Held h = held(a.id(), trackerDown);
            if (h.problem() != null) trackerDown = h.problem(); // one failed ask is enough: the rest would wait on it too
            held.put(a.id(), h);
        }
        clusters.ifPresent(c -> c.start(held.entrySet().stream().filter(e -> e.getValue().anywhere()).map(Map.Entry::getKey).toList()));
        var out = new ArrayList<AgentView>();
        for (AgentStore.Agent a : agents) out.add(of(a, held.get(a.id()), viewer, deadline, freshness.servedStale()));
        return out;
    }

    /** {@code trackerDown}: why the tracker failed earlier in this page, so it is not asked again; null when it answered. */
    private Held held(long agentId, String trackerDown) {
        boolean here = tunnels.map(t -> t.connected(agentId)).orElse(false);
        if (replicas.isEmpty()) return new Held(here, null, null);
        var holders = new ArrayList<String>();
        if (here) holders.add(replicas.get().self());
        if (trackerDown != null) return new Held(here, holders, trackerDown);
        try {
            holders.addAll(replicas.get().elsewhere(agentId));
            return new Held(here, holders, null);
        } catch (AgentReplicas.Unreachable e) {
            return new Held(here, holders, e.getMessage());
        }
    }

    private AgentView of(AgentStore.Agent agent, Held held, Viewer viewer, long deadline, Duration servedStale)
            throws InterruptedException {
        Boolean connected = null;
        String since = null;
        Integer open = null;
        Integer idle = null;
        if (tunnels.isPresent()) {
            var presence = tunnels.get().presence(agent.id());
            // Redis unreachable and no stream here: held elsewhere or nowhere, nobody can say; "disconnected" would be a guess
            connected = held.problem() != null && !held.here() ? null : held.anywhere();
            since = presence.map(p -> AgentView.seconds(p.since())).orElse(null);
            open = presence.map(TunnelRegistry.Presence::open).orElse(0);
            idle = presence.map(TunnelRegistry.Presence::idle).orElse(0);
        }
        // with Redis down for this page (held.problem()), this replica's registrations only: asking again would wait again
        List<AgentView.Pod> pods = registrations.map(r -> r.instances(agent.id(), held.problem() == null).stream()
                .map(i -> new AgentView.Pod(i.meta().getPodName(), i.meta().getPodNamespace(), i.meta().getVersion(),
                        i.meta().getKubernetesVersion().getGitVersion(), AgentView.seconds(i.lastSeen()))).toList()).orElse(null);
        AgentView.Config config = configs.map(c -> {
            var current = c.current(agent.id());
            var problem = c.problem(agent.id()).map(p -> new AgentView.Problem(p.path(), p.commit(), p.line(), p.error())).orElse(null);
            return new AgentView.Config(current.map(AgentConfigurations.Current::path).orElse(null),
                    current.map(AgentConfigurations.Current::commit).orElse(null), problem);
        }).orElse(null);
        AgentView.Cluster cluster = null;
        if (held.anywhere() && clusters.isPresent()) {
            var snapshot = clusters.get().of(agent.id(), deadline, servedStale);
            cluster = snapshot == null ? AgentView.Cluster.READING
                    : new AgentView.Cluster(AgentView.seconds(snapshot.read()), snapshot.problem(), snapshot.flux(), snapshot.deployments());
        }
        // Replicas' private addresses and Redis's are the operator's business, not every signed-in person's.
        AgentView.Replicas where = held.replicas() == null || !viewer.operator() ? null
                : new AgentView.Replicas(held.here(), held.replicas(), held.problem());
        AgentView.ExternalJobs external = statuses.isEmpty() ? null
                : cluster == null ? new AgentView.ExternalJobs(List.of(), List.of()) : externalJobs(statuses.get(), cluster, viewer, deadline);
        return new AgentView(agent.id(), agent.name(), agent.configProject(), connected, since, open, idle, where, pods, config, cluster, external);
    }

    /**
     * The external jobs of the commits the cluster runs: its deployments' current applies (the commit of the artifact's
     * source project when the apply recorded it, else of its job's project) and its Flux sources' origins, for the
     * projects the viewer may read, {@link #MAX_COMMITS} of them at most. Statuses still being read for the first time,
     * and a person's access GitLab has not answered by {@code deadline}, are left out until the next refresh.
     */
    private AgentView.ExternalJobs externalJobs(CommitStatuses statuses, AgentView.Cluster cluster, Viewer viewer, long deadline)
            throws InterruptedException {
        var commits = new LinkedHashSet<CommitStatuses.Commit>();
        for (AgentView.Deployment d : cluster.deployments()) {
            AgentView.Apply current = d.current();
            if (current != null) {
                statuses.commit(current.origin() != null ? current.origin() : current.jobUrl(), current.revision()).ifPresent(commits::add);
            }
        }
        for (AgentView.FluxObject o : cluster.flux()) statuses.commit(o.originUrl(), o.originRevision()).ifPresent(commits::add);
        var jobs = new ArrayList<AgentView.ExternalJob>();
        var problems = new ArrayList<String>();
        int shown = 0;
        for (CommitStatuses.Commit c : commits) {
            try {
                if (!viewer.operator() && !mayRead(viewer, c.project(), deadline)) continue;
            } catch (ProxyFailure f) {
                problems.add("cannot ask GitLab whether you may read " + c.project() + ": " + f.status().message());
                continue;
            }
            if (shown++ == MAX_COMMITS) {
                problems.add("the external jobs of " + MAX_COMMITS + " commits are shown; the cluster runs more");
                break;
            }
            CommitStatuses.Known known = statuses.known(c);
            if (known == null) continue;
            jobs.addAll(known.jobs());
            if (known.problem() != null) problems.add(known.problem());
        }
        jobs.sort(CommitStatuses.NEWEST_FIRST);
        return new AgentView.ExternalJobs(List.copyOf(jobs.subList(0, Math.min(jobs.size(), MAX_JOBS))), List.copyOf(problems));
    }

    /** A person's access to a project, waited for until the page's deadline; false when GitLab has not answered by then. */
    private boolean mayRead(Viewer viewer, String project, long deadline) throws ProxyFailure, InterruptedException {
        long left = deadline - System.nanoTime();
        if (left <= 0) return false;
        var check = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return viewer.mayRead(project);
            } catch (ProxyFailure f) {
                throw new java.util.concurrent.CompletionException(f);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }, checks);
        try {
            return check.get(left, java.util.concurrent.TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            return false; // the check goes on; user access caches GitLab's answer for the next refresh
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof ProxyFailure f) throw f;
            throw new IllegalStateException("checking access to " + project, e.getCause());
        }
    }

    @Override
    public void close() {
        statuses.ifPresent(CommitStatuses::close);
        checks.shutdownNow();
    }
}
