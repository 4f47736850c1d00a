package dev.kastor.bridge.flux;

import dev.kastor.bridge.Bridge;
import dev.kastor.bridge.GitHttpServer;
import dev.kastor.bridge.RedisServer;
import dev.kastor.bridge.agentapp.Agent;
import dev.kastor.bridge.flux.server.FluxServerDefaults;
import dev.kastor.bridge.flux.server.Posts;
import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.testing.Eventually;
import dev.kastor.testing.GitLabApiStandIn;
import dev.kastor.testing.Programs;
import dev.kastor.testing.RegistryServer;
import dev.kastor.testing.kube.KubeStandIn;
import dev.kastor.testing.kube.NotificationControllerStandIn;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The flux feature's whole chain on loopback, with real parts where they can run here: a real registry whose
 * notifications go to a real KAS, a real Git server (git-http-backend) holding the agent's config file and a project,
 * a real agent on the Kubernetes API stand-in, and Flux's webhook receiver played by
 * {@link NotificationControllerStandIn}. With one KAS, or with two replicas on a real Redis: then what GitLab and the
 * registry send lands on replica A ({@link #front}) while the agent is connected to replica B, so every push crosses
 * Redis. {@link FluxReceiversTest} checks it, {@link FluxReceiversBench} times it.
 */
final class FluxChain implements AutoCloseable {
    static final String CONFIG_PROJECT = "platform/agents";
    static final String REGISTRY_HOST = "registry.example.com";
    static final String REGISTRY_TOKEN = "registry-notifications-token-e2e";
    static final String HOOK_SECRET = "flux-webhook-secret-e2e";
    static final Duration WAIT = Duration.ofSeconds(30);

    final KubeStandIn kube;
    final NotificationControllerStandIn flux;
    final GitHttpServer git;
    /** The KAS that GitLab's webhooks and the registry's notifications reach (replica A when there are two). */
    final Bridge front;
    final RegistryServer registry;
    final Agent agent;
    private final ByteArrayOutputStream agentLog = new ByteArrayOutputStream();
    /** What this chain started, the last first: the order to close them in. */
    private final List<AutoCloseable> started = new ArrayList<>();

    /** One KAS; it polls agents' config files and projects' refs every {@code pollPeriod}. */
    static FluxChain oneKas(Path dir, String pollPeriod) throws Exception {
        return new FluxChain(dir, pollPeriod, false);
    }

    /** Two KAS replicas on a real Redis, each polling every {@code pollPeriod}; the agent is connected to the one that is not {@link #front}. */
    static FluxChain twoReplicas(Path dir, String pollPeriod) throws Exception {
        return new FluxChain(dir, pollPeriod, true);
    }

    private FluxChain(Path dir, String pollPeriod, boolean twoReplicas) throws Exception {
        try {
            kube = open(KubeStandIn.start());
            flux = open(NotificationControllerStandIn.start(kube.client()));
            kube.proxyService("flux-system", "webhook-receiver", flux.url());
            git = open(GitHttpServer.start(Files.createDirectories(dir.resolve("git"))));
            git.createRepo(CONFIG_PROJECT);
            git.commit(CONFIG_PROJECT, ".gitlab/agents/flux/config.yaml", "flux:\n  webhook_receiver_url: " + flux.url() + "\n");
            git.createRepo("group/app");
            git.commit("group/app", "app.yaml", "kind: ConfigMap\n");
            String gitPrefix = git.urlTemplate().substring(0, git.urlTemplate().indexOf("{project}"));
            var fluxSection = new KasConfig.Flux(Files.writeString(dir.resolve("hook-secret"), HOOK_SECRET).toString(), pollPeriod, List.of(gitPrefix),
                    List.of(new KasConfig.Registry(REGISTRY_HOST, Files.writeString(dir.resolve("registry-token"), REGISTRY_TOKEN).toString())));
            var agentConfiguration = new KasConfig.AgentConfiguration(git.urlTemplate(), null, null, pollPeriod, null, null, null);
            Path kasDir = Files.createDirectories(dir.resolve("kas"));
            Bridge agentSide;
            if (twoReplicas) {
                var redis = open(RedisServer.start());
                var gitlab = open(GitLabApiStandIn.start());
                var replicaA = new Bridge.Replica(redis.url());
                front = open(Bridge.withFlux(kasDir, fluxSection, agentConfiguration, gitlab, replicaA));
                agentSide = open(Bridge.withFlux(kasDir, fluxSection, agentConfiguration, gitlab, new Bridge.Replica(redis.url())));
                awaitSubscribed(redis, replicaA.keyPrefix() + FluxServerDefaults.CHANNEL_SUFFIX, 2);
            } else {
                front = open(Bridge.withFlux(kasDir, fluxSection, agentConfiguration, null, null));
                agentSide = front;
            }
            registry = open(RegistryServer.builder()
                    .notifications(front.apiUrl().resolve(FluxServerDefaults.REGISTRY_EVENTS_PATH).toString(), "Bearer " + REGISTRY_TOKEN).start());
            var registered = front.register(CONFIG_PROJECT, "flux");
            agent = open(agentSide.startAgent(registered.token(), URI.create(kube.url()), kube.sslContext(),
                    new JsonLog(new PrintStream(agentLog, true, StandardCharsets.UTF_8), "agent")));
        } catch (Exception | Error e) {
            close();
            throw e;
        }
    }

    private <T extends AutoCloseable> T open(T part) {
        started.addFirst(part);
        return part;
    }

    /** Until {@code replicas} replicas listen on the flux channel: a push published before would miss the others. */
    private static void awaitSubscribed(RedisServer redis, String channel, long replicas) throws Exception {
        Eventually.until(WAIT, () -> replicas + " replicas subscribed to " + channel, () -> {
            var counts = (List<?>) redis.command("PUBSUB", "NUMSUB", channel);
            return Long.valueOf(replicas).equals(counts.get(1));
        });
    }

    /** Waits (up to {@link #WAIT}) for {@code condition}; a failure shows the agent's and KAS's logs and the hook calls so far. */
    void await(String what, Eventually.Probe<Boolean, Exception> condition) throws Exception {
        Eventually.until(WAIT, () -> what + "\nagent log:\n" + agentLog.toString(StandardCharsets.UTF_8) + "\nKAS log:\n" + front.logText()
                + "\nhooks: " + flux.calls() + " refused: " + flux.refused(), condition);
    }

    /** An OCIRepository following {@code oci://<repository>}, at {@code ref} (null: none, so {@code latest}). */
    GenericKubernetesResource oci(String ns, String name, String repository, Map<String, Object> ref) {
        var spec = new HashMap<String, Object>(Map.of("url", "oci://" + repository, "interval", "10m"));
        if (ref != null) spec.put("ref", ref);
        return kube.create(KubeStandIn.OCI_REPOSITORY, ns, name, spec);
    }

    /** A GitRepository of {@code project} on the Git server. */
    GenericKubernetesResource gitRepository(String ns, String name, String project) {
        return kube.create(KubeStandIn.GIT_REPOSITORY, ns, name, Map.of("url", git.url(project), "interval", "10m"));
    }

    boolean receiverExists(String ns, String name) {
        return kube.get(KubeStandIn.RECEIVER, ns, name) != null && kube.client().secrets().inNamespace(ns).withName(name).get() != null;
    }

    long callsTo(String ns, String receiver) {
        return flux.calls().stream().filter(c -> c.namespace().equals(ns) && c.receiver().equals(receiver)).count();
    }

    /** GitLab's project push webhook for {@code project}, sent to {@link #front} with {@code token} as {@code X-Gitlab-Token}. */
    HttpResponse<String> pushHook(String token, String project) throws Exception {
        return Posts.pushHook(front.apiUrl(), token, "Push Hook", project);
    }

    @Override
    public void close() {
        Programs.closeAll(started.toArray(AutoCloseable[]::new));
    }
}
