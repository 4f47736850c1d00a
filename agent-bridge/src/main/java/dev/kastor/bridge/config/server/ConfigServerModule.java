package dev.kastor.bridge.config.server;

import dev.kastor.bridge.agents.AgentStore;
import dev.kastor.bridge.agents.AgentStreams;
import dev.kastor.bridge.api.ApiEndpoint;
import dev.kastor.bridge.config.ConfigDefaults;
import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.bridge.kubeapi.server.GitLabJobApi;
import dev.kastor.bridge.kubeapi.server.JobAuthorizer;
import dev.kastor.bridge.module.KasContext;
import dev.kastor.bridge.module.KasModule;
import dev.kastor.bridge.observability.JsonLog;
import io.grpc.BindableService;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The KAS half of agent configuration: reads every registered agent's {@code .gitlab/agents/<name>/config.yaml}
 * from its config project's Git repository ({@code agent_configuration} in KAS's config) and streams it to the agent
 * ({@code GetConfiguration}). The standalone ci_access mode and user access read them too (it provides
 * {@link AgentConfigurations} to the modules after it).
 */
public final class ConfigServerModule implements KasModule {
    private static final String NAME = "config";
    private final AgentConfigurations configs;
    private final Path cacheDir;
    private final boolean ownCacheDir;
    private final ConfigWebhook webhook;
    private final ConfigService service;

    /**
     * Builds the module from {@code agent_configuration}. With standalone ci_access, KAS itself (not GitLab) says which
     * agents a job may use, from the agents' configuration files: this module then provides the k8s proxy's
     * {@link JobAuthorizer}.
     */
    public static KasModule create(KasContext context) throws IOException {
        var config = context.config();
        var module = new ConfigServerModule(config.agentConfiguration(), context.agents(), context.log());
        context.parts().provide(AgentConfigurations.class, module.configs, NAME);
        if (config.standaloneCiAccess()) {
            context.parts().provide(JobAuthorizer.class, new StandaloneJobAuthorizer(URI.create(config.gitlab().url()),
                    GitLabJobApi.newHttpClient(), context.agents(), module.configs), NAME);
        }
        return module;
    }

    private ConfigServerModule(KasConfig.AgentConfiguration settings, AgentStore agents, JsonLog log) throws IOException {
        this.ownCacheDir = settings.cacheDir() == null;
        this.cacheDir = ownCacheDir ? Files.createTempDirectory("kastor-kas-config") : Files.createDirectories(Path.of(settings.cacheDir()));
        var git = new GitConfigReader(cacheDir, GitRemote.of(settings));
        this.configs = new AgentConfigurations(agents, git, settings.branch(), settings.poll(), log);
        this.service = new ConfigService(configs);
        this.webhook = settings.webhookSecretFile() == null ? null : new ConfigWebhook(Path.of(settings.webhookSecretFile()), configs, log);
    }

    /** The agents' configurations as KAS last read them. */
    public AgentConfigurations configurations() {
        return configs;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<BindableService> agentServices() {
        return List.of(service);
    }

    @Override
    public List<AgentStreams> agentStreams() {
        return List.of(service);
    }

    @Override
    public Map<String, ApiEndpoint> apiEndpoints() {
        return webhook == null ? Map.of() : Map.of(ConfigDefaults.WEBHOOK_PATH, webhook);
    }

    @Override
    public void start() {
        configs.start();
    }

    @Override
    public void close() {
        configs.close();
        if (ownCacheDir) deleteTree(cacheDir);
    }

    private static void deleteTree(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException ignored) {
            // a temporary directory: the OS cleans what is left (JGit's background gc may take a lock file away mid-walk)
        }
    }
}
