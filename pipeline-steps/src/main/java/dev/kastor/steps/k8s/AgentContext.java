package dev.kastor.steps.k8s;

import java.nio.file.Path;

/**
 * One context of a kubeconfig. GitLab names agent contexts {@code <config project full path>:<agent name>} and
 * gives them the user {@code agent:<agent id>} ({@code agent:<agent id>@<KAS host>} in a person's kubeconfig written by
 * {@code kastor kube kubeconfig --user}); {@code agentId} is null for other contexts. Holds no credential.
 */
public record AgentContext(String name, String projectPath, String agentName, String agentId, String cluster, String server,
                           String namespace, Path file) {
    /** Whether GitLab (or Kastor's KAS) made this context for an agent: {@code path:name} with an {@code agent:<id>} user. */
    public boolean isAgent() {
        return projectPath != null && agentName != null;
    }

    /** Splits {@code group/project:agent}; a context name without a colon is not an agent context. */
    static String[] split(String contextName) {
        int colon = contextName.lastIndexOf(':');
        if (colon <= 0 || colon == contextName.length() - 1) return null;
        return new String[] {contextName.substring(0, colon), contextName.substring(colon + 1)};
    }
}
