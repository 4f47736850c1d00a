package dev.kastor.bridge.kubeapi.server;

/**
 * A k8s proxy bearer token of GitLab's form {@code <kind>:<agent id>:<secret>} ({@code ci:} for jobs, {@code pat:}
 * for people), split; the secret never reaches a message.
 */
record BearerToken(long agentId, String secret) {
    @Override
    public String toString() {
        return "BearerToken[agentId=" + agentId + "]";
    }

    /**
     * The parts of {@code authorization} ({@code Bearer <kind>:<agent id>:<secret>}), or a 401 saying {@code notOfForm}
     * or {@code notANumber}.
     */
    static BearerToken parse(String authorization, String kind, String notOfForm, String notANumber) throws ProxyFailure {
        String[] parts = authorization.substring(7).trim().split(":", 3);
        if (parts.length != 3 || !parts[0].equals(kind) || parts[2].isEmpty()) throw new ProxyFailure(K8sStatus.unauthorized(notOfForm));
        try {
            return new BearerToken(Long.parseLong(parts[1]), parts[2]);
        } catch (NumberFormatException e) {
            throw new ProxyFailure(K8sStatus.unauthorized(notANumber));
        }
    }
}
