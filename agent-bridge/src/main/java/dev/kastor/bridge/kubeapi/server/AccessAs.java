package dev.kastor.bridge.kubeapi.server;

import dev.kastor.bridge.tunnel.rpc.Impersonation;
import dev.kastor.bridge.tunnel.rpc.Values;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * Turns {@code access_as} of an agent's configuration and the job GitLab describes into the identity requests run
 * as, with GitLab's exact names: {@code agent} (the agent's own service account), {@code impersonate} (a fixed
 * user), {@code ci_job} (user {@code gitlab:ci_job:<job id>}, groups and extra keys naming project, groups,
 * environment); and, for people, {@code user_access}'s {@code user} ({@link #user}).
 */
public final class AccessAs {
    private AccessAs() {}

    /**
     * Empty impersonation when requests run as the agent. {@code configProjectId} null when unknown (standalone mode).
     * An {@code access_as} KAS cannot read exactly (an unknown kind, several kinds, {@code impersonate} without a
     * username) refuses the job: falling back to the agent's own identity would hand the job the agent's service
     * account, which holds impersonation rights.
     */
    public static Impersonation of(JsonNode accessAs, long agentId, Long configProjectId, JobFacts job) throws ProxyFailure {
        if (accessAs == null || accessAs.isMissingNode() || accessAs.isNull() || accessAs.isObject() && accessAs.isEmpty()) {
            return Impersonation.getDefaultInstance();
        }
        if (!accessAs.isObject() || accessAs.size() != 1) {
            throw invalid(agentId, "must have exactly one of agent, impersonate, ci_job");
        }
        String kind = accessAs.propertyNames().iterator().next();
        return switch (kind) {
            case "agent" -> Impersonation.getDefaultInstance();
            case "impersonate" -> impersonate(accessAs.get("impersonate"), agentId);
            case "ci_job" -> ciJob(agentId, configProjectId, job);
            default -> throw invalid(agentId, "has unknown kind '" + kind + "' (use agent, impersonate or ci_job)");
        };
    }

    private static ProxyFailure invalid(long agentId, String what) {
        return new ProxyFailure(K8sStatus.forbidden("access_as of agent " + agentId + " " + what
                + ": KAS refuses the job rather than run it as the agent; fix access_as in the agent's config.yaml"));
    }

    private static Impersonation impersonate(JsonNode i, long agentId) throws ProxyFailure {
        String username = i.path("username").asString("");
        if (username.isBlank()) throw invalid(agentId, "impersonate has no username");
        var b = Impersonation.newBuilder().setUsername(username);
        i.path("groups").forEach(g -> b.addGroups(g.asString()));
        b.setUid(i.path("uid").asString(""));
        for (JsonNode e : i.path("extra")) {
            var v = Values.newBuilder();
            e.path("val").forEach(x -> v.addValue(x.asString()));
            b.putExtra(e.path("key").asString(), v.build());
        }
        return b.build();
    }

    private static Impersonation ciJob(long agentId, Long configProjectId, JobFacts job) {
        long jobId = job.jobId();
        long projectId = job.projectId();
        List<Long> groups = job.groupIds();
        String slug = job.environmentSlug();
        String tier = job.environmentTier();
        var b = Impersonation.newBuilder().setUsername("gitlab:ci_job:" + jobId);
        b.addGroups("gitlab:ci_job");
        b.addGroups("gitlab:project:" + projectId);
        for (long g : groups) b.addGroups("gitlab:group:" + g);
        if (slug != null) b.addGroups("gitlab:project_env:" + projectId + ":" + slug);
        if (tier != null) {
            b.addGroups("gitlab:project_env_tier:" + projectId + ":" + tier);
            for (long g : groups) b.addGroups("gitlab:group_env_tier:" + g + ":" + tier);
        }
        extra(b, "id", String.valueOf(agentId));
        if (configProjectId != null) extra(b, "config_project_id", String.valueOf(configProjectId));
        extra(b, "project_id", String.valueOf(projectId));
        extra(b, "ci_pipeline_id", String.valueOf(job.pipelineId()));
        extra(b, "ci_job_id", String.valueOf(jobId));
        extra(b, "username", job.username());
        if (slug != null) extra(b, "environment_slug", slug);
        if (tier != null) extra(b, "environment_tier", tier);
        return b.build();
    }

    /** A person's role in one project or group listed under {@code user_access}, by its numeric id. */
    public record Membership(long id, List<String> roles) {}

    /**
     * {@code user_access} with {@code access_as: {user: {}}}, as GitLab's KAS sends it: user
     * {@code gitlab:user:<username>}, groups {@code gitlab:user}, {@code gitlab:project_role:<id>:<role>} and
     * {@code gitlab:group_role:<id>:<role>} for every role up to the person's in each listed project and group that
     * admits them, extra keys {@code agent.gitlab.com/{id,username,access_type,config_project_id}}.
     */
    public static Impersonation user(long agentId, long configProjectId, String username, List<Membership> projects, List<Membership> groups) {
        var b = Impersonation.newBuilder().setUsername("gitlab:user:" + username);
        b.addGroups("gitlab:user");
        for (var p : projects) p.roles().forEach(role -> b.addGroups("gitlab:project_role:" + p.id() + ":" + role));
        for (var g : groups) g.roles().forEach(role -> b.addGroups("gitlab:group_role:" + g.id() + ":" + role));
        extra(b, "id", String.valueOf(agentId));
        extra(b, "username", username);
        extra(b, "access_type", "personal_access_token");
        extra(b, "config_project_id", String.valueOf(configProjectId));
        return b.build();
    }

    private static void extra(Impersonation.Builder b, String key, String value) {
        b.putExtra("agent.gitlab.com/" + key, Values.newBuilder().addValue(value).build());
    }
}
