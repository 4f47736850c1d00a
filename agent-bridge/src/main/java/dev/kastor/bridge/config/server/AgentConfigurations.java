package dev.kastor.bridge.config.server;

import dev.kastor.bridge.agents.AgentStore;
import dev.kastor.bridge.config.AgentConfig;
import dev.kastor.bridge.config.ConfigDefaults;
import dev.kastor.bridge.observability.Causes;
import dev.kastor.bridge.observability.JsonLog;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * The last good configuration of every registered agent, read from Git every poll period (and at once on a push
 * webhook or when an agent whose file was never read connects). A file that is missing, too big or invalid never
 * replaces a good one: KAS logs what is wrong and where, and keeps serving the last good configuration.
 */
public final class AgentConfigurations implements AutoCloseable {
    /** A valid configuration of one agent, as read at {@code commit}. */
    public record Current(long agentId, String project, String path, String commit, String yaml, AgentConfig config) {}

    /**
     * Why the newest file of an agent (or its project) could not be used, as the log says it: {@code line} 0 when the
     * error has no line. Cleared when a file of the agent is loaded again.
     */
    public record Problem(String project, String path, String commit, int line, String error) {}

    private final AgentStore agents;
    private final GitConfigReader git;
    private final String branch;
    private final Duration poll;
    private final JsonLog log;
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("agent-config-poll").daemon().factory());
    private final Map<Long, Current> good = new ConcurrentHashMap<>();
    /** The commit each agent's file was last looked at (good or not), so an unchanged project costs one ls-remote. */
    private final Map<Long, String> evaluated = new ConcurrentHashMap<>();
    /** The blob each agent's file had when last looked at ({@code NO_FILE}: none), so a commit that left it alone costs no read. */
    private final Map<Long, String> blobs = new ConcurrentHashMap<>();
    private final Map<String, String> projectErrors = new ConcurrentHashMap<>();
    private final Map<Long, Problem> problems = new ConcurrentHashMap<>();
    private final Map<Long, List<Consumer<Current>>> listeners = new ConcurrentHashMap<>();
    /** Projects whose refresh is queued on the poll thread and has not started. */
    private final Set<String> queued = ConcurrentHashMap.newKeySet();

    AgentConfigurations(AgentStore agents, GitConfigReader git, String branch, Duration poll, JsonLog log) {
        this.agents = agents;
        this.git = git;
        this.branch = branch;
        this.poll = poll;
        this.log = log;
    }

    void start() {
        // No Git to read from (jobs from gitlab.local_jobs_file, no git_url_template): agents run without a config file.
        if (!git.remote().configured()) return;
        worker.scheduleWithFixedDelay(this::pollAll, 0, poll.toMillis(), TimeUnit.MILLISECONDS);
    }

    public Duration pollPeriod() {
        return poll;
    }

    /** The last reason the agent's newest file was not used, until one is loaded again (the status page shows it). */
    public Optional<Problem> problem(long agentId) {
        Problem p = problems.get(agentId);
        if (p != null) return Optional.of(p);
        var agent = agents.byId(agentId);
        if (agent.isEmpty()) return Optional.empty();
        String projectError = projectErrors.get(agent.get().configProject());
        return projectError == null ? Optional.empty()
                : Optional.of(new Problem(agent.get().configProject(), ConfigDefaults.path(agent.get().name()), null, 0, projectError));
    }

    /** The agent's last good configuration, empty while none was ever read. */
    public Optional<Current> current(long agentId) {
        return Optional.ofNullable(good.get(agentId));
    }

    /** Calls {@code listener} with every new good configuration of the agent; returns what removes it. */
    public Runnable subscribe(long agentId, Consumer<Current> listener) {
        listeners.computeIfAbsent(agentId, k -> new CopyOnWriteArrayList<>()).add(listener);
        if (!evaluated.containsKey(agentId)) {
            agents.byId(agentId).ifPresent(a -> refreshProject(a.configProject()));
        }
        return () -> listeners.getOrDefault(agentId, List.of()).remove(listener);
    }

    /**
     * Reads the project's agents' files again soon (push webhook, new agent), on the poll thread. Asks already queued
     * for the project are one: when KAS restarts, thousands of agents of one project reconnect within seconds, and each
     * would otherwise cost the Git server an ls-remote.
     */
    public void refreshProject(String project) {
        if (worker.isShutdown() || !git.remote().configured() || !queued.add(project)) return;
        try {
            worker.execute(() -> {
                queued.remove(project); // before reading: a push that lands meanwhile queues a read of its own
                var of = agents.list().stream().filter(AgentStore.Agent::active).filter(a -> a.configProject().equals(project)).toList();
                if (!of.isEmpty()) refresh(project, of);
            });
        } catch (RejectedExecutionException closing) {
            queued.remove(project);
        }
    }

    /** Whether any active agent has {@code project} as its config project. */
    public boolean knowsProject(String project) {
        return agents.list().stream().anyMatch(a -> a.active() && a.configProject().equals(project));
    }

    private void pollAll() {
        try {
            var active = agents.list().stream().filter(AgentStore.Agent::active).toList();
            var ids = active.stream().map(AgentStore.Agent::id).collect(Collectors.toSet());
            good.keySet().retainAll(ids); // revoked agents' configurations go
            problems.keySet().retainAll(ids);
            evaluated.keySet().retainAll(ids);
            blobs.keySet().retainAll(ids);
            Map<String, List<AgentStore.Agent>> byProject = active.stream()
                    .collect(Collectors.groupingBy(AgentStore.Agent::configProject, LinkedHashMap::new, Collectors.toList()));
            byProject.forEach(this::refresh);
        } catch (RuntimeException e) {
            log.warn("agent configuration poll failed", Map.of("error", git.scrub(Causes.describe(e))));
        }
    }

    private void refresh(String project, List<AgentStore.Agent> of) {
        String url = git.remote().url(project);
        GitConfigReader.Head head;
        try {
            head = git.head(url, branch);
            var need = of.stream().filter(a -> !head.commit().name().equals(evaluated.get(a.id()))).toList();
            if (need.isEmpty()) {
                clearError(project);
                return;
            }
            Map<String, AgentStore.Agent> byPath = new LinkedHashMap<>();
            Map<String, String> known = new HashMap<>();
            for (var a : need) {
                String path = ConfigDefaults.path(a.name());
                byPath.put(path, a);
                String blob = blobs.get(a.id());
                if (blob != null) known.put(path, blob);
            }
            var files = git.read(url, head, byPath.keySet(), known);
            clearError(project);
            for (var e : byPath.entrySet()) {
                long id = e.getValue().id();
                var file = files.get(e.getKey());
                switch (file) {
                    case GitConfigReader.FileAt.Found f -> blobs.put(id, f.blob());
                    case GitConfigReader.FileAt.TooBig t -> blobs.put(id, t.blob());
                    case GitConfigReader.FileAt.Missing m -> blobs.put(id, GitConfigReader.NO_FILE);
                    case GitConfigReader.FileAt.Unchanged u -> { }
                }
                if (!(file instanceof GitConfigReader.FileAt.Unchanged)) evaluate(e.getValue(), project, e.getKey(), head.commit().name(), file);
                evaluated.put(id, head.commit().name());
            }
        } catch (GitRemote.GitFailure f) {
            // Once per distinct failure: a Git server that is down for an hour must not fill the log at every poll.
            if (!f.getMessage().equals(projectErrors.put(project, f.getMessage()))) {
                log.warn("cannot read agent configuration from Git, keeping the last good one",
                        Map.of("project", project, "error", f.getMessage()));
            }
        }
    }

    private void clearError(String project) {
        if (projectErrors.remove(project) != null) log.info("agent configuration readable from Git again", Map.of("project", project));
    }

    private void evaluate(AgentStore.Agent agent, String project, String path, String commit, GitConfigReader.FileAt file) {
        var where = new LinkedHashMap<String, Object>();
        where.put("agent_id", agent.id());
        where.put("project", project);
        where.put("path", path);
        where.put("commit", commit);
        String yaml;
        switch (file) {
            case GitConfigReader.FileAt.Missing m -> {
                invalid(where, "the file does not exist on the default branch (create " + path + " in " + project + ")", 0);
                return;
            }
            case GitConfigReader.FileAt.TooBig t -> {
                invalid(where, "the file is " + t.size() + " bytes, above the limit of " + ConfigDefaults.MAX_FILE_BYTES
                        + " bytes (128 KiB): make it smaller", 0);
                return;
            }
            case GitConfigReader.FileAt.Unchanged u -> {
                return;
            }
            case GitConfigReader.FileAt.Found f -> {
                try {
                    yaml = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                            .decode(ByteBuffer.wrap(f.bytes())).toString();
                } catch (CharacterCodingException e) {
                    invalid(where, "the file is not UTF-8 text", 0);
                    return;
                }
            }
        }
        AgentConfig parsed;
        try {
            parsed = AgentConfig.parse(yaml);
        } catch (AgentConfig.InvalidConfig e) {
            invalid(where, e.getMessage(), e.line());
            return;
        }
        problems.remove(agent.id());
        Current before = good.get(agent.id());
        if (before != null && Objects.equals(before.yaml(), yaml) && before.path().equals(path)) return; // same file, newer commit
        Current now = new Current(agent.id(), project, path, commit, yaml, parsed);
        good.put(agent.id(), now);
        var fields = new LinkedHashMap<String, Object>(where);
        fields.putAll(parsed.summary());
        log.info("agent configuration loaded", fields);
        for (var l : listeners.getOrDefault(agent.id(), List.of())) {
            try {
                l.accept(now);
            } catch (RuntimeException e) {
                log.warn("agent configuration listener failed", Map.of("agent_id", agent.id(), "error", Causes.describe(e)));
            }
        }
    }

    private void invalid(Map<String, Object> where, String why, int line) {
        var fields = new LinkedHashMap<String, Object>(where);
        if (line > 0) fields.put("line", line);
        fields.put("error", why);
        fields.put("kept_commit", Optional.ofNullable(good.get((Long) where.get("agent_id"))).map(Current::commit).orElse("none"));
        log.warn("agent configuration is not valid, keeping the last good one", fields);
        problems.put((Long) where.get("agent_id"), new Problem((String) where.get("project"), (String) where.get("path"),
                (String) where.get("commit"), line, why));
    }

    @Override
    public void close() {
        worker.shutdownNow();
        try {
            worker.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** For tests and status: every agent with a good configuration. */
    public Map<Long, String> commits() {
        var m = new HashMap<Long, String>();
        good.forEach((k, v) -> m.put(k, v.commit()));
        return m;
    }
}
