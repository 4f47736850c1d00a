package dev.kastor.bridge.flux.server;

import dev.kastor.bridge.config.server.GitRemote;
import dev.kastor.bridge.observability.Causes;
import dev.kastor.bridge.observability.JsonLog;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.Ref;

/**
 * For instances that send no push webhook: every period, lists the branches and tags ({@code ls-remote}) of each
 * project the agents connected to this replica watch, and tells every agent of a project whose refs differ from the
 * last look (never on the first look: that only sets what later looks compare with). A project Git cannot be asked
 * about is logged, once per distinct failure, and the others are polled all the same.
 */
final class RefPoller implements AutoCloseable {
    private final GitRemote git;
    private final Supplier<Set<String>> projects;
    private final Notifier notifier;
    private final FluxMetrics metrics;
    private final Duration period;
    private final JsonLog log;
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("flux-ref-poll").daemon().factory());
    /** Each polled project's refs at the last successful look (name → object id), by lower-cased full path. */
    private final Map<String, Map<String, String>> last = new HashMap<>();
    private final Map<String, String> errors = new HashMap<>();
    private int overLimitLogged;

    RefPoller(GitRemote git, Supplier<Set<String>> projects, Notifier notifier, FluxMetrics metrics, Duration period, JsonLog log) {
        this.git = git;
        this.projects = projects;
        this.notifier = notifier;
        this.metrics = metrics;
        this.period = period;
        this.log = log;
    }

    void start() {
        worker.scheduleWithFixedDelay(this::pollAll, 0, period.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void pollAll() {
        try {
            var polled = polledProjects();
            last.keySet().retainAll(polled.keySet());
            errors.keySet().retainAll(polled.keySet());
            polled.forEach(this::poll);
            metrics.polled();
        } catch (RuntimeException e) {
            log.warn("flux ref poll failed", Map.of("error", git.scrub(Causes.describe(e))));
        }
    }

    /** The projects to poll (GitLab paths ignore case: one look per project), at most {@link FluxServerDefaults#MAX_POLLED_PROJECTS}. */
    private Map<String, String> polledProjects() {
        var byKey = new TreeMap<String, String>();
        for (String p : projects.get()) if (!p.isBlank()) byKey.putIfAbsent(p.toLowerCase(Locale.ROOT), p);
        int max = FluxServerDefaults.MAX_POLLED_PROJECTS;
        if (byKey.size() > max && byKey.size() != overLimitLogged) {
            log.warn("agents watch more Git projects than KAS polls: the others are not polled (give KAS flux.webhook_secret_file and"
                    + " a GitLab push webhook instead)", Map.of("projects", byKey.size(), "polled", max));
        }
        overLimitLogged = byKey.size() > max ? byKey.size() : 0;
        var polled = new TreeMap<String, String>();
        for (var e : byKey.entrySet()) {
            if (polled.size() == max) break;
            polled.put(e.getKey(), e.getValue());
        }
        return polled;
    }

    private void poll(String key, String project) {
        Map<String, String> refs;
        try {
            refs = branchesAndTags(git.refs(git.url(project)));
        } catch (GitRemote.GitFailure f) {
            if (!f.getMessage().equals(errors.put(key, f.getMessage()))) {
                log.warn("cannot poll a project's refs for flux", Map.of("project", project, "error", f.getMessage()));
            }
            return;
        }
        if (errors.remove(key) != null) log.info("project's refs readable again for flux", Map.of("project", project));
        var before = last.put(key, refs);
        if (before != null && !before.equals(refs)) {
            notifier.gitPush(FluxMetrics.Source.GIT_POLL, project);
            log.info("ref poll: project moved, telling agents", Map.of("project", project));
        }
    }

    /** What a GitRepository can follow; GitLab's other refs (merge requests, pipelines) move without a push. */
    private static Map<String, String> branchesAndTags(Map<String, Ref> refs) {
        var out = new HashMap<String, String>();
        for (Ref r : refs.values()) {
            String name = r.getName();
            if ((name.startsWith(Constants.R_HEADS) || name.startsWith(Constants.R_TAGS)) && r.getObjectId() != null) {
                out.put(name, r.getObjectId().name());
            }
        }
        return out;
    }

    @Override
    public void close() {
        worker.shutdownNow();
    }
}
