package dev.kastor.bridge.flux.server;

import dev.kastor.bridge.agents.AgentStreams;
import dev.kastor.bridge.api.ApiEndpoint;
import dev.kastor.bridge.api.SecretFile;
import dev.kastor.bridge.config.server.GitRemote;
import dev.kastor.bridge.flux.rpc.Instance;
import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.bridge.kubeapi.server.JobAuthorizer;
import dev.kastor.bridge.module.KasContext;
import dev.kastor.bridge.module.KasModule;
import io.grpc.BindableService;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The flux feature's KAS half: learns of pushes (GitLab's push webhook, polled refs, a registry's notifications,
 * {@code kastor artifact push --notify}) and tells the agents through their {@code FluxNotifications.Watch} calls, on
 * every replica ({@link FluxBus}), so they call the Flux Receivers they keep. Its {@code flux} config section is
 * optional: without it, agents still watch (the instance's default Git URL prefixes, no registries).
 */
public final class FluxServerModule implements KasModule {
    private static final String NAME = "flux";
    private final WatchService watch;
    private final FluxBus bus;
    private final RefPoller poller;
    private final FluxMetrics metrics;
    private final Map<String, ApiEndpoint> endpoints = new HashMap<>();

    /** Needs the {@link JobAuthorizer} the k8s proxy module provides (for {@code oci-push}). */
    public static KasModule create(KasContext context) {
        return new FluxServerModule(context, context.parts().require(JobAuthorizer.class, NAME));
    }

    private FluxServerModule(KasContext context, JobAuthorizer jobs) {
        var config = context.config();
        var flux = config.flux();
        var log = context.log();
        this.metrics = new FluxMetrics();
        this.watch = new WatchService(Instance.newBuilder().addAllGitUrlPrefixes(flux.gitUrlPrefixes())
                .addAllRegistries(flux.registries().stream().map(KasConfig.Registry::host).toList()).build(), metrics);
        this.bus = config.redis() == null ? FluxBus.local(watch::deliver) : new RedisFluxBus(config.redis(), watch::deliver, log);
        var notifier = new Notifier(bus, metrics);
        this.poller = flux.gitPoll() == null ? null : new RefPoller(GitRemote.of(config.agentConfiguration()), watch::projects, notifier, metrics,
                flux.gitPoll(), log);
        if (flux.webhookSecretFile() != null) {
            endpoints.put(FluxServerDefaults.GIT_PUSH_PATH, new GitPushWebhook(
                    new SecretFile(Path.of(flux.webhookSecretFile()), "flux.webhook_secret_file", log), notifier, log));
        }
        var senders = new ArrayList<RegistryEventsEndpoint.Sender>();
        for (var r : flux.registries()) {
            if (r.notificationsTokenFile() == null) continue;
            senders.add(new RegistryEventsEndpoint.Sender(r.host(), new SecretFile(Path.of(r.notificationsTokenFile()),
                    "flux.registries[" + r.host() + "].notifications_token_file", log)));
        }
        if (!senders.isEmpty()) endpoints.put(FluxServerDefaults.REGISTRY_EVENTS_PATH, new RegistryEventsEndpoint(senders, notifier, log));
        endpoints.put(FluxServerDefaults.OCI_PUSH_PATH, new OciPushEndpoint(jobs, context.agents(), flux, notifier, log));
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<BindableService> agentServices() {
        return List.of(watch);
    }

    @Override
    public List<AgentStreams> agentStreams() {
        return List.of(watch);
    }

    @Override
    public Map<String, ApiEndpoint> apiEndpoints() {
        return Map.copyOf(endpoints);
    }

    @Override
    public String prometheus() {
        return metrics.prometheus(watch.watches());
    }

    @Override
    public void start() {
        bus.start();
        if (poller != null) poller.start();
    }

    @Override
    public void close() {
        if (poller != null) poller.close();
        bus.close();
    }
}
