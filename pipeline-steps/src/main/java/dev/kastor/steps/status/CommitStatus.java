package dev.kastor.steps.status;

import java.util.List;

/** One commit status to post ({@code POST /projects/:id/statuses/:sha}); null fields are left out. */
public record CommitStatus(String sha, String state, String name, String ref, String targetUrl, String description, String pipelineId) {
    public static final List<String> STATES = List.of("pending", "running", "success", "failed", "canceled", "skipped");

    /** GitLab keeps at most 255 characters of a description. */
    public CommitStatus {
        if (description != null && description.length() > 255) description = description.substring(0, 254) + "…";
    }
}
