package dev.kastor.bridge.kubeapi.server;

import dev.kastor.bridge.tunnel.rpc.Impersonation;
import dev.kastor.bridge.tunnel.rpc.Values;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * Turns {@code access_as} of an agent's configuration and the job GitLab describes into the identity requests run
 * as, with GitLab's exact names: {@code agent} (the agent's own service account), {@code impersonate} (a fixed
 * user), {@code ci_job} (user {@code gitlab:ci_job:<job id>}, groups and extra keys naming project, groups,
 * environment).
 */
public final class AccessAs {
    private AccessAs() {}

    /** Empty impersonation when requests run as the agent. {@code configProjectId} null when unknown (standalone mode). */
    public static Impersonation of(JsonNode accessAs, long agentId, Long configProjectId, JobFacts job) {
        if (accessAs == null || accessAs.isMissingNode() || accessAs.isNull() || accessAs.has("agent") || accessAs.isEmpty()) {
            return Impersonation.getDefaultInstance();
        }
        if (accessAs.has("impersonate")) {
            JsonNode i = accessAs.get("impersonate");
            var b = Impersonation.newBuilder().setUsername(i.path("username").asString(""));
            i.path("groups").forEach(g -> b.addGroups(g.asString()));
            b.setUid(i.path("uid").asString(""));
            for (JsonNode e : i.path("extra")) {
                var v = Values.newBuilder();
                e.path("val").forEach(x -> v.addValue(x.asString()));
                b.putExtra(e.path("key").asString(), v.build());
            }
            return b.build();
        }
        if (accessAs.has("ci_job")) {
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
        return Impersonation.getDefaultInstance();
    }

    private static void extra(Impersonation.Builder b, String key, String value) {
        b.putExtra("agent.gitlab.com/" + key, Values.newBuilder().addValue(value).build());
    }
}
