package dev.kastor.bridge.kubeapi.server;

import dev.kastor.bridge.api.ApiEndpoint;
import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.bridge.listener.ListenAddresses;
import dev.kastor.bridge.module.KasContext;
import dev.kastor.bridge.module.KasModule;
import dev.kastor.bridge.observability.ProxyMetrics;
import dev.kastor.bridge.tunnel.server.TunnelFinder;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;

/**
 * The k8s API's KAS half: the k8s proxy CI jobs' and people's kubectl talks to ({@code listen.k8s_proxy}), and
 * {@code /api/v1/job/agents} and {@code /api/v1/user/agents} on the API port, which tell a job or a person what a
 * KUBECONFIG needs. Takes tunnels from the {@link TunnelFinder} routing provides, jobs' rights from the
 * {@link JobAuthorizer} a module before it provides (the config module, for standalone ci_access), else from GitLab,
 * and people's from the {@link UserAuthorizer} the user access module provides.
 */
public final class K8sProxyModule implements KasModule {
    private static final String NAME = "k8s_proxy";
    private final K8sProxyServer proxy;
    private final JobAgentsEndpoint jobAgents;
    private final UserAgentsEndpoint userAgents;

    private K8sProxyModule(K8sProxyServer proxy, JobAgentsEndpoint jobAgents, UserAgentsEndpoint userAgents) {
        this.proxy = proxy;
        this.jobAgents = jobAgents;
        this.userAgents = userAgents;
    }

    /** Binds the k8s proxy's port. */
    public static KasModule create(KasContext context) throws IOException, InterruptedException {
        var config = context.config();
        var listen = config.listen().k8sProxy();
        var tls = ListenAddresses.tls(listen);
        var authorizer = authorizer(context);
        var users = context.parts().find(UserAuthorizer.class).orElse(null);
        var proxy = new K8sProxyServer(ListenAddresses.address(listen, "listen.k8s_proxy"), tls, listen.prefix(),
                new ProxyAuthorizer(authorizer, users), context.parts().require(TunnelFinder.class, NAME),
                context.parts().require(ProxyMetrics.class, NAME), context.log(), context.tunings().or(ProxyLimits.DEFAULTS));
        String url = k8sProxyUrl(config, tls != null, proxy);
        return new K8sProxyModule(proxy, new JobAgentsEndpoint(authorizer, context.agents(), url), new UserAgentsEndpoint(users, context.agents(), url));
    }

    /**
     * Who says what a CI job may do: the local jobs file when set (for trying KAS), a module's, else GitLab. The one
     * built here is provided to the modules after this one (flux's {@code oci-push} authorises jobs the same way).
     */
    private static JobAuthorizer authorizer(KasContext context) {
        var gitlab = context.config().gitlab();
        var provided = context.parts().find(JobAuthorizer.class);
        if (provided.isPresent() && !gitlab.local()) return provided.get();
        JobAuthorizer built;
        if (gitlab.local()) {
            var local = LocalJobsAuthorizer.load(Path.of(gitlab.localJobsFile()));
            context.log().warn("CI jobs are let in from gitlab.local_jobs_file, not by GitLab: for trying KAS, never for clusters others can reach",
                    Map.of("file", gitlab.localJobsFile(), "jobs", local.size()));
            built = local;
        } else {
            built = new GitLabJobAuthorizer(URI.create(gitlab.url()), GitLabJobApi.newHttpClient());
        }
        context.parts().provide(JobAuthorizer.class, built, NAME);
        return built;
    }

    /** What jobs' KUBECONFIG points at: the configured external URL, else this KAS's own k8s proxy address. */
    private static String k8sProxyUrl(KasConfig config, boolean tls, K8sProxyServer proxy) {
        // A UNIX socket's KAS has external_k8s_proxy_url (KasConfig): there is no port to name.
        if (config.externalK8sProxyUrl() != null) return config.externalK8sProxyUrl();
        int port = proxy.port();
        String host = config.listen().k8sProxy().address();
        host = host.substring(0, host.lastIndexOf(':'));
        if (host.isEmpty() || host.equals("0.0.0.0")) host = "127.0.0.1";
        return (tls ? "https" : "http") + "://" + host + ":" + port + config.listen().k8sProxy().prefix();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Map<String, ApiEndpoint> apiEndpoints() {
        return Map.of("/api/v1/job/agents", jobAgents, "/api/v1/user/agents", userAgents);
    }

    /** The port the k8s proxy listens on (tests bind port 0); refused for a UNIX socket ({@link #address}). */
    public int port() {
        return proxy.port();
    }

    /** What the k8s proxy is bound to: a TCP address, or a UNIX socket's. */
    public SocketAddress address() {
        return proxy.address();
    }

    @Override
    public void close() {
        proxy.close();
    }
}
