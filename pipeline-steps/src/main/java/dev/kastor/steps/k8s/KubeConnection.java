package dev.kastor.steps.k8s;

import dev.kastor.oci.Causes;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;

/** A Kubernetes client bound to one context, closed when the step ends. */
public final class KubeConnection implements AutoCloseable {
    private final AgentContext context;
    private final KubernetesClient client;

    private KubeConnection(AgentContext context, KubernetesClient client) {
        this.context = context;
        this.client = client;
    }

    static KubeConnection open(AgentContext context, Config config, int requestTimeoutSeconds) {
        config.setRequestTimeout(requestTimeoutSeconds * 1000);
        config.setConnectionTimeout(Math.min(requestTimeoutSeconds, 10) * 1000);
        // Kastor retries and reconnects itself where it matters (watches); a failing request should surface quickly.
        config.setRequestRetryBackoffLimit(2);
        KubernetesClient client = new KubernetesClientBuilder().withConfig(config).withHttpClientFactory(new KubeHttpClients(config.getMasterUrl())).build();
        return new KubeConnection(context, client);
    }

    public KubernetesClient client() {
        return client;
    }

    public AgentContext context() {
        return context;
    }

    /** The namespace of the context, or {@code default}. */
    public String defaultNamespace() {
        return context.namespace() == null || context.namespace().isBlank() ? "default" : context.namespace();
    }

    /** Turns a client failure into a message a CI user can act on (what, where, which context, what to check). */
    public KubeException explain(String what, KubernetesClientException e) {
        int code = e.getCode();
        String reason = e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage() : Kubeconfig.firstLine(Causes.describe(e));
        String hint = switch (code) {
            case 401 -> " (the agent server refused the job's credentials: is this project in the ci_access of agent " + context.name() + "?)";
            case 403 -> " (forbidden: the agent's access_as identity lacks RBAC permission for this)";
            case 404 -> " (not found: check the name and namespace, and that its CRD is installed)";
            case 502, 503 -> " (the agent is not connected to the agent server, or the cluster is unreachable; retry later)";
            default -> "";
        };
        return new KubeException(what + " via " + context.name() + " failed: " + (code > 0 ? code + " " : "") + reason + hint, e);
    }

    @Override
    public void close() {
        client.close();
    }
}
