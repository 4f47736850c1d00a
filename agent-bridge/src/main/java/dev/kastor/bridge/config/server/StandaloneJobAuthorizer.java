package dev.kastor.bridge.config.server;

import dev.kastor.bridge.agents.AgentStore;
import dev.kastor.bridge.config.AgentConfig;
import dev.kastor.bridge.config.ConfigDefaults;
import dev.kastor.bridge.kubeapi.server.AccessAs;
import dev.kastor.bridge.kubeapi.server.AuthorizedRequest;
import dev.kastor.bridge.kubeapi.server.GitLabJobApi;
import dev.kastor.bridge.kubeapi.server.JobAuthorizer;
import dev.kastor.bridge.kubeapi.server.JobFacts;
import dev.kastor.bridge.kubeapi.server.K8sStatus;
import dev.kastor.bridge.kubeapi.server.ProxyFailure;
import java.net.URI;
import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * {@code ci_access_mode: standalone}: the agent's own {@code ci_access} (read from Git by KAS) decides, not GitLab's
 * {@code allowed_agents}. GitLab still identifies the job: {@code GET /api/v4/job} with {@code JOB-TOKEN} (cached
 * like allowed_agents) gives {@code web_url} ({@code https://<host>/<project full path>/-/jobs/<id>}), whose path
 * names the project, and {@code pipeline.project_id}, its id.
 */
public final class StandaloneJobAuthorizer implements JobAuthorizer {
    private final GitLabJobApi jobApi;
    private final AgentStore agents;
    private final AgentConfigurations configs;

    public StandaloneJobAuthorizer(URI gitlabUrl, HttpClient http, AgentStore agents, AgentConfigurations configs) {
        this.jobApi = new GitLabJobApi(gitlabUrl, "/api/v4/job", http);
        this.agents = agents;
        this.configs = configs;
    }

    /** The job GitLab describes, and its project's full path. */
    private record Job(JsonNode json, String projectPath) {}

    @Override
    public AuthorizedRequest authorize(String authorization) throws ProxyFailure, InterruptedException {
        CiBearer bearer = CiBearer.parse(authorization);
        long agentId = bearer.agentId();
        Job job = job(bearer.jobToken());
        AgentStore.Agent agent = agents.byId(agentId).filter(AgentStore.Agent::active)
                .orElseThrow(() -> new ProxyFailure(K8sStatus.forbidden("agent " + agentId + " is not registered on this KAS (see 'kastor-kas agent list')")));
        String file = ConfigDefaults.path(agent.name());
        var current = configs.current(agentId).orElseThrow(() -> new ProxyFailure(K8sStatus.unavailable("the configuration of agent " + agentId
                + " (" + file + " in " + agent.configProject() + ") is not loaded yet: KAS reads it from Git every "
                + configs.pollPeriod().toSeconds() + " s; KAS's log says why when it cannot")));
        AgentConfig config = current.config();
        var entry = config.access(job.projectPath()).orElseThrow(() -> new ProxyFailure(K8sStatus.forbidden("project " + job.projectPath()
                + " is not allowed to use agent " + agentId + ": add it to ci_access.projects (or its group to ci_access.groups) in "
                + file + " of " + agent.configProject())));
        if (!entry.environments().isEmpty()) {
            // GitLab's job API does not say which environment a job deploys to, so an environment-restricted entry
            // cannot be checked here: refuse rather than let every environment through.
            throw new ProxyFailure(K8sStatus.forbidden("ci_access entry " + entry.id() + " of agent " + agentId + " restricts environments "
                    + entry.environments() + ", which standalone mode cannot check (GitLab's job API does not name the job's environment):"
                    + " remove 'environments' from the entry or use ci_access_mode: gitlab"));
        }
        JsonNode j = job.json();
        // Standalone mode knows the project's path but not its groups' ids: the gitlab:group:<id> (and group_env_tier)
        // groups of the ci_job identity are left out, and so is config_project_id (the agent store keeps only paths).
        var facts = new JobFacts(j.path("id").asLong(), j.path("pipeline").path("project_id").asLong(), List.of(),
                j.path("pipeline").path("id").asLong(), j.path("user").path("username").asString(""), null, null);
        var imp = AccessAs.of(config.accessAs(entry).toJson(), agentId, null, facts);
        return new AuthorizedRequest(agentId, facts.jobId(), facts.projectId(), imp);
    }

    @Override
    public List<AllowedAgent> allowedAgents(String jobToken) throws ProxyFailure, InterruptedException {
        Job job = job(jobToken);
        var out = new ArrayList<AllowedAgent>();
        for (AgentStore.Agent a : agents.list()) {
            if (!a.active()) continue;
            var current = configs.current(a.id());
            if (current.isEmpty()) continue; // not loaded yet: the proxy says so (503) when the job tries it
            var entry = current.get().config().access(job.projectPath());
            entry.ifPresent(e -> out.add(new AllowedAgent(a.id(), current.get().config().defaultNamespace(e))));
        }
        return out;
    }

    private Job job(String jobToken) throws ProxyFailure, InterruptedException {
        JsonNode j = jobApi.get(jobToken);
        String webUrl = j.path("web_url").asString("");
        String path;
        try {
            path = URI.create(webUrl).getPath();
        } catch (IllegalArgumentException e) {
            path = null;
        }
        // GitLab may live under a relative URL root (https://host/gitlab/group/app/-/jobs/1).
        String root = jobApi.gitlabUrl().getPath() == null ? "" : jobApi.gitlabUrl().getPath().replaceAll("/+$", "");
        if (path != null && !root.isEmpty() && path.startsWith(root + "/")) path = path.substring(root.length());
        int jobs = path == null ? -1 : path.indexOf("/-/jobs/");
        if (jobs <= 1) {
            throw new ProxyFailure(K8sStatus.unavailable("GitLab's job API answered a web_url KAS cannot read the project from: " + webUrl));
        }
        return new Job(j, path.substring(1, jobs));
    }
}
