package dev.kastor.bridge.kubeapi.server;

import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * What KAS knows about a CI job, for the {@code ci_job} impersonation. {@code groupIds} is empty and
 * {@code environmentSlug}/{@code environmentTier} null when the source does not say (standalone mode).
 */
public record JobFacts(long jobId, long projectId, List<Long> groupIds, long pipelineId, String username, String environmentSlug,
                       String environmentTier) {
    /** From GitLab's {@code allowed_agents} answer. */
    public static JobFacts of(JsonNode allowed) {
        List<Long> groups = new ArrayList<>();
        allowed.path("project").path("groups").forEach(g -> groups.add(g.path("id").asLong()));
        JsonNode env = allowed.path("environment");
        return new JobFacts(allowed.path("job").path("id").asLong(), allowed.path("project").path("id").asLong(), List.copyOf(groups),
                allowed.path("pipeline").path("id").asLong(), allowed.path("user").path("username").asString(""),
                env.path("slug").asString(null), env.path("tier").asString(null));
    }
}
