package dev.kastor.bridge.flux.agent;

import dev.kastor.bridge.config.ConfigDefaults;
import dev.kastor.bridge.config.agent.ConfigAgentModule;
import dev.kastor.bridge.flux.rpc.FluxEvent;
import dev.kastor.bridge.flux.rpc.FluxNotificationsGrpc;
import dev.kastor.bridge.flux.rpc.OciPush;
import dev.kastor.bridge.flux.rpc.WatchRequest;
import dev.kastor.bridge.kubeapi.agent.KubeApiUpstream;
import dev.kastor.bridge.module.AgentContext;
import dev.kastor.bridge.module.AgentModule;
import dev.kastor.bridge.module.AgentTimers;
import dev.kastor.bridge.module.Backoff;
import dev.kastor.bridge.observability.Causes;
import dev.kastor.bridge.observability.JsonLog;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The agent half of the {@code flux} feature: watches Flux {@code GitRepository} and {@code OCIRepository} objects in
 * every namespace it may list, keeps a Receiver for each one of the GitLab instance ({@link ReceiverKeeper}), holds a
 * {@code Watch} call to KAS and, on each push KAS reports, calls the Receivers of the sources that follow it
 * ({@link HookCaller}). Flux then reconciles at once instead of at its {@code spec.interval}, which stays the safety
 * net. Modelled on gitlab-agent's {@code internal/module/flux}. All state lives on one thread.
 */
public final class FluxAgentModule implements AgentModule {
    static final String NAME = "flux";

    private final JsonLog log;
    private final KubeApiUpstream apiServer;
    private final ConfigAgentModule config;
    private final Backoff backoff;
    private final FluxAgentTuning tuning;
    private final ScheduledExecutorService worker = AgentTimers.single("agent-flux");
    private final Map<FluxSource.Key, FluxSource> sources = new HashMap<>();
    private final Map<FluxSource.Kind, SharedIndexInformer<GenericKubernetesResource>> informers = new EnumMap<>(FluxSource.Kind.class);
    /** Problems already logged (a missing kind, say), so a retried failure is said once. */
    private final Set<String> said = ConcurrentHashMap.newKeySet();
    /** Made on the worker once watching starts; volatile, as close() may give up waiting for the worker. */
    private volatile KubernetesClient client;
    private ReceiverKeeper keeper;
    private volatile HookCaller hooks;
    private FluxNotificationsGrpc.FluxNotificationsStub stub;
    private InstanceSources instance;
    private StreamObserver<WatchRequest> requests;
    private Set<String> sentProjects;
    private Context.CancellableContext call;
    private boolean noReceiverKind;
    private boolean straysDropped;
    private boolean watching;
    private int failures;
    private volatile boolean closed;

    public static AgentModule create(AgentContext context) {
        return new FluxAgentModule(context.log(), context.parts().require(KubeApiUpstream.class, NAME),
                context.parts().require(ConfigAgentModule.class, NAME),
                context.tunings().or(new Backoff(ConfigDefaults.BACKOFF_MIN, ConfigDefaults.BACKOFF_MAX)),
                context.tunings().or(FluxAgentTuning.DEFAULTS));
    }

    private FluxAgentModule(JsonLog log, KubeApiUpstream apiServer, ConfigAgentModule config, Backoff backoff, FluxAgentTuning tuning) {
        this.log = log;
        this.apiServer = apiServer;
        this.config = config;
        this.backoff = backoff;
        this.tuning = tuning;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void start(ManagedChannel kas) {
        stub = FluxNotificationsGrpc.newStub(kas);
        worker.execute(this::open);
    }

    /**
     * Starts watching sources once Flux's kinds exist in the cluster; until then looks again every
     * {@link FluxAgentTuning#fluxCheckEvery()}, so installing Flux after the agent needs no restart. An agent that may
     * not read CRDs watches at once (the informer then says what fails).
     */
    private void informWhenInstalled() {
        if (closed) return;
        List<String> missing = new ArrayList<>();
        for (FluxSource.Kind kind : FluxSource.Kind.values()) {
            if (!installed(kind.context)) missing.add(kind.kind);
        }
        // without notification-controller's kind there is nothing to keep: no Secret is written for a Receiver that cannot be
        if (!installed(ReceiverKeeper.RECEIVER)) missing.add(ReceiverKeeper.RECEIVER.getKind());
        if (missing.isEmpty()) {
            for (FluxSource.Kind kind : FluxSource.Kind.values()) informers.put(kind, inform(kind));
            return;
        }
        sayOnce("missing:" + missing, "Flux kinds missing (" + String.join(", ", missing) + "): no receivers until Flux's controllers"
                + " are installed (looking again every " + tuning.fluxCheckEvery().toSeconds() + " s)", "not installed");
        worker.schedule(this::informWhenInstalled, tuning.fluxCheckEvery().toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Whether the kind's CustomResourceDefinition ({@code <plural>.<group>}) exists. */
    private boolean installed(ResourceDefinitionContext kind) {
        try {
            return client.apiextensions().v1().customResourceDefinitions().withName(kind.getPlural() + "." + kind.getGroup()).get() != null;
        } catch (KubernetesClientException e) {
            if (e.getCode() == 403) return true;
            sayOnce("crd:" + kind.getKind(), "cannot tell whether Flux is installed; looking again later", Causes.describe(e));
            return false;
        }
    }

    /** Where Receivers are called: the agent config's {@code flux.webhook_receiver_url}, else Flux's default. */
    private String receiverUrl() {
        return config.current().map(a -> a.config().flux().webhookReceiverUrl()).orElse(ConfigDefaults.DEFAULT_FLUX_WEBHOOK_RECEIVER_URL);
    }

    private SharedIndexInformer<GenericKubernetesResource> inform(FluxSource.Kind kind) {
        var informer = client.genericKubernetesResources(kind.context).inAnyNamespace().runnableInformer(0);
        informer.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(GenericKubernetesResource r) {
                run(() -> seen(FluxSource.of(kind, r)));
            }

            @Override
            public void onUpdate(GenericKubernetesResource old, GenericKubernetesResource r) {
                run(() -> seen(FluxSource.of(kind, r)));
            }

            @Override
            public void onDelete(GenericKubernetesResource r, boolean finalStateUnknown) {
                run(() -> gone(new FluxSource.Key(kind, r.getMetadata().getNamespace(), r.getMetadata().getName())));
            }
        });
        // A kind Flux did not install (or the agent may not list) is said once; the informer keeps trying.
        informer.exceptionHandler((started, t) -> {
            sayOnce(kind.kind, "cannot watch Flux " + kind.kind + " objects (is Flux's source-controller installed, may the agent list them?);"
                    + " trying again", Causes.describe(t));
            return !closed;
        });
        informer.start();
        return informer;
    }

    private void run(Runnable task) {
        try {
            worker.execute(() -> {
                try {
                    task.run();
                } catch (KubernetesClientException e) {
                    log.warn("flux: a Kubernetes call failed; trying again at the next change", Map.of("error", Causes.describe(e)));
                }
            });
        } catch (RejectedExecutionException ignored) {
            // closing
        }
    }

    private void seen(FluxSource source) {
        sources.put(source.key(), source);
        reconcile(source.key());
        sendProjects();
        dropStraysOnce();
    }

    private void gone(FluxSource.Key key) {
        sources.remove(key);
        if (keeper.drop(key)) log.info("removed the Flux receiver of a deleted source", Map.of("source", key.toString()));
        sendProjects();
    }

    /** Makes the source's Receiver exist exactly when the source is one of the instance's. */
    private void reconcile(FluxSource.Key key) {
        FluxSource source = sources.get(key);
        Optional<ReceiverKeeper.Kept> current = keeper.kept(key);
        if (source != null && belongs(source)) {
            if (current.isPresent() && current.get().source().equals(source)) return;
            keep(source);
        } else if (current.isPresent()) {
            keeper.drop(key);
            log.info("removed the Flux receiver of a source that no longer points at the GitLab instance", Map.of("source", key.toString()));
        }
    }

    private void keep(FluxSource source) {
        if (noReceiverKind) return;
        try {
            var kept = keeper.keep(source);
            log.info("keeping a Flux receiver", Map.of("source", source.describe(), "receiver", kept.receiver()));
        } catch (ReceiverKeeper.NoReceiverKind e) {
            noReceiverKind = true;
            log.warn("flux: no receivers kept: " + e.getMessage(), Map.of());
        }
    }

    private boolean belongs(FluxSource s) {
        if (instance == null) return false;
        return (s.kind() == FluxSource.Kind.GIT_REPOSITORY ? instance.gitProject(s.url()) : instance.ociRepository(s.url())).isPresent();
    }

    /**
     * Once KAS said what the instance is and both kinds are listed: removes Receivers the agent made in an earlier
     * life for sources gone since. The informers' stores are read directly so no source is taken for gone only
     * because its event is still queued.
     */
    private void dropStraysOnce() {
        if (straysDropped || instance == null || noReceiverKind || informers.isEmpty()
                || !informers.values().stream().allMatch(SharedIndexInformer::hasSynced)) return;
        informers.forEach((kind, informer) -> {
            for (GenericKubernetesResource r : informer.getStore().list()) {
                FluxSource s = FluxSource.of(kind, r);
                sources.put(s.key(), s);
                reconcile(s.key());
            }
        });
        straysDropped = true;
        int dropped = keeper.dropStrays();
        if (dropped > 0) log.info("removed Flux receivers whose sources are gone", Map.of("receivers", dropped));
    }

    private void open() {
        if (closed) return;
        var ctx = Context.current().withCancellation();
        call = ctx;
        sentProjects = null;
        Context previous = ctx.attach();
        try {
            requests = stub.watch(events());
        } finally {
            ctx.detach(previous);
        }
        sendProjects();
    }

    private StreamObserver<FluxEvent> events() {
        return new StreamObserver<>() {
            @Override
            public void onNext(FluxEvent event) {
                run(() -> handle(event));
            }

            @Override
            public void onError(Throwable t) {
                run(() -> ended(t));
            }

            @Override
            public void onCompleted() {
                run(() -> ended(null));
            }
        };
    }

    private void ended(Throwable error) {
        requests = null;
        if (closed) return;
        // a call KAS ended normally (max connection age, a rollout) is reopened at once, not after a growing wait
        failures = error == null ? 1 : failures + 1;
        long delay = backoff.delayMillis(failures);
        log.debug("flux watch ended, reopening", null, Map.of("error", String.valueOf(error), "retry_ms", delay));
        try {
            worker.schedule(this::open, delay, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException ignored) {
            // closing
        }
    }

    private void handle(FluxEvent event) {
        failures = 0;
        switch (event.getEventCase()) {
            case INSTANCE -> {
                instance = InstanceSources.of(event.getInstance());
                noReceiverKind = false;
                // The cluster is looked at only once KAS has something to match (its flux section is on), so an agent
                // of a KAS without it never touches Flux's kinds.
                if (!watching && !instance.isEmpty() && !closed) {
                    watching = true;
                    // The cluster's client and the Receivers' callers (HTTP clients, each with its selector thread) are
                    // made only now: an agent of a KAS without flux holds none.
                    client = KubeClients.of(apiServer);
                    keeper = new ReceiverKeeper(client);
                    hooks = new HookCaller(apiServer, this::receiverUrl, tuning, log);
                    informWhenInstalled();
                }
                for (FluxSource.Key key : List.copyOf(sources.keySet())) reconcile(key);
                sendProjects();
                dropStraysOnce();
            }
            case GIT_PUSH -> {
                if (instance == null || keeper == null) return;
                String project = event.getGitPush().getProject().toLowerCase(Locale.ROOT);
                for (var kept : keeper.all()) {
                    if (kept.source().kind() == FluxSource.Kind.GIT_REPOSITORY && instance.gitProject(kept.source().url()).equals(Optional.of(project))) {
                        hooks.call(kept, "git " + project);
                    }
                }
            }
            case OCI_PUSH -> {
                if (instance == null || keeper == null) return;
                OciPush push = event.getOciPush();
                String repository = push.getRegistry().toLowerCase(Locale.ROOT) + "/" + push.getRepository();
                for (var kept : keeper.all()) {
                    FluxSource s = kept.source();
                    if (s.kind() == FluxSource.Kind.OCI_REPOSITORY && instance.ociRepository(s.url()).equals(Optional.of(repository)) && s.follows(push)) {
                        hooks.call(kept, "oci " + repository + (push.getTag().isEmpty() ? "" : ":" + push.getTag()) + "@" + push.getDigest());
                    }
                }
            }
            case EVENT_NOT_SET -> log.debug("flux: an event of a kind this agent does not know, ignored", null, Map.of());
        }
    }

    /** Tells KAS the projects of the instance the agent's GitRepository objects name, when they changed. */
    private void sendProjects() {
        if (requests == null || instance == null) return;
        Set<String> projects = new TreeSet<>();
        for (var kept : keeper == null ? List.<ReceiverKeeper.Kept>of() : keeper.all()) {
            if (kept.source().kind() == FluxSource.Kind.GIT_REPOSITORY) instance.gitProject(kept.source().url()).ifPresent(projects::add);
        }
        if (projects.equals(sentProjects)) return;
        requests.onNext(WatchRequest.newBuilder().addAllGitProjects(projects).build());
        sentProjects = projects;
    }

    private void sayOnce(String key, String message, String error) {
        if (said.add(key)) log.warn("flux: " + message, Map.of("error", error));
    }

    @Override
    public void close() {
        closed = true;
        var c = call;
        if (c != null) c.cancel(null);
        worker.shutdownNow();
        try {
            // the worker makes the client, the informers and the callers: once it ended, this thread sees all it made
            worker.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (var informer : informers.values()) informer.stop();
        if (hooks != null) hooks.close();
        if (client != null) client.close();
    }
}
