package dev.kastor.bridge.kubeapi.server;

import dev.kastor.bridge.agents.Hashes;
import dev.kastor.bridge.observability.Causes;
import dev.kastor.bridge.tunnel.rpc.Impersonation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * {@code gitlab.local_jobs_file}: CI jobs KAS lets in without asking GitLab, for trying KAS and an agent on one
 * machine (or in a lab without GitLab). Like kube-apiserver's {@code --token-auth-file}, it is a list of tokens in a
 * file, read once at start:
 *
 * <pre>
 * - token: try-it-job-token        # what the job sends as CI_JOB_TOKEN
 *   project: group/app             # the job's project (full path)
 *   agents: [1]                    # ids of the agents it may use
 *   default_namespace: default     # optional: its kubeconfig context's namespace
 * </pre>
 *
 * Requests run as the agent ({@code access_as: agent}): there is no GitLab to say who the job is. Each entry's job
 * id is its position in the file, from 1.
 */
public final class LocalJobsAuthorizer implements JobAuthorizer {
    private static final YAMLMapper YAML = YAMLMapper.builder().build();

    /** One job of the file. */
    record Job(long id, String project, List<Long> agents, String defaultNamespace) {}

    /** By SHA-256 of the token: a lookup compares digests, so the time taken says nothing about a token's content. */
    private final Map<String, Job> byTokenHash;

    private LocalJobsAuthorizer(Map<String, Job> byTokenHash) {
        this.byTokenHash = Map.copyOf(byTokenHash);
    }

    /** Reads and checks the file; anything wrong is refused naming the entry and the key, never the token. */
    public static LocalJobsAuthorizer load(Path file) {
        JsonNode root;
        try {
            root = YAML.readTree(Files.readString(file));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read gitlab.local_jobs_file " + file + ": " + Causes.describe(e), e);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("gitlab.local_jobs_file " + file + " is not YAML: " + Causes.describe(e), e);
        }
        if (root == null || !root.isArray() || root.isEmpty()) {
            throw new IllegalArgumentException("gitlab.local_jobs_file " + file + " must be a list of jobs, each with token, project and"
                    + " agents (e.g. '- {token: try-it-job-token, project: group/app, agents: [1]}')");
        }
        var jobs = new HashMap<String, Job>();
        int n = 0;
        for (JsonNode entry : root) {
            n++;
            String where = "gitlab.local_jobs_file " + file + " entry " + n;
            if (!entry.isObject()) throw new IllegalArgumentException(where + " is not a map with token, project and agents");
            for (String key : entry.propertyNames()) {
                if (!List.of("token", "project", "agents", "default_namespace").contains(key)) {
                    throw new IllegalArgumentException(where + " has unknown key '" + key + "' (token, project, agents, default_namespace)");
                }
            }
            String token = entry.path("token").asString("").strip();
            if (token.isEmpty()) throw new IllegalArgumentException(where + ": token is missing or empty");
            String project = entry.path("project").asString("").strip();
            if (project.isEmpty() || !project.contains("/")) {
                throw new IllegalArgumentException(where + ": project must be a full project path like group/app");
            }
            JsonNode agentIds = entry.path("agents");
            if (!agentIds.isArray() || agentIds.isEmpty()) {
                throw new IllegalArgumentException(where + ": agents must list the ids of the agents the job may use, e.g. agents: [1]");
            }
            var agents = new ArrayList<Long>();
            for (JsonNode id : agentIds) {
                if (!id.canConvertToLong() || id.asLong() < 1) throw new IllegalArgumentException(where + ": agents holds " + id + ", not an agent id");
                agents.add(id.asLong());
            }
            String ns = entry.path("default_namespace").asString(null);
            if (jobs.put(Hashes.sha256(token), new Job(n, project, List.copyOf(agents), ns)) != null) {
                throw new IllegalArgumentException(where + ": its token is the token of an earlier entry; each job needs its own");
            }
        }
        return new LocalJobsAuthorizer(jobs);
    }

    /** How many jobs the file lists (for KAS's start-up log). */
    public int size() {
        return byTokenHash.size();
    }

    private Job job(String token) throws ProxyFailure {
        Job job = byTokenHash.get(Hashes.sha256(token));
        if (job == null) throw new ProxyFailure(K8sStatus.unauthorized("this job token is not in KAS's gitlab.local_jobs_file"));
        return job;
    }

    @Override
    public AuthorizedRequest authorize(String authorization) throws ProxyFailure {
        CiBearer bearer = CiBearer.parse(authorization);
        Job job = job(bearer.jobToken());
        if (!job.agents().contains(bearer.agentId())) {
            throw new ProxyFailure(K8sStatus.forbidden("the job of project " + job.project() + " may not use agent " + bearer.agentId()
                    + " (gitlab.local_jobs_file lists agents " + job.agents() + " for it)"));
        }
        return new AuthorizedRequest(bearer.agentId(), job.id(), 0, Impersonation.getDefaultInstance()); // as the agent
    }

    /** Never blocks: the file was read at start. */
    @Override
    public Optional<AuthorizedRequest> authorizeFromCache(String authorization) throws ProxyFailure {
        return Optional.of(authorize(authorization));
    }

    @Override
    public List<AllowedAgent> allowedAgents(String jobToken) throws ProxyFailure {
        Job job = job(jobToken);
        return job.agents().stream().map(id -> new AllowedAgent(id, job.defaultNamespace())).toList();
    }
}
