package dev.kastor.bridge.config.agent;

import dev.kastor.bridge.config.AgentConfig;
import dev.kastor.bridge.config.ConfigDefaults;
import dev.kastor.bridge.config.rpc.AgentConfigurationGrpc;
import dev.kastor.bridge.config.rpc.ConfigurationRequest;
import dev.kastor.bridge.config.rpc.ConfigurationResponse;
import dev.kastor.bridge.module.AgentContext;
import dev.kastor.bridge.module.AgentModule;
import dev.kastor.bridge.module.AgentTimers;
import dev.kastor.bridge.module.Backoff;
import dev.kastor.bridge.observability.Causes;
import dev.kastor.bridge.observability.JsonLog;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The agent half of agent configuration: keeps one {@code GetConfiguration} call to KAS open (reopened with
 * exponential backoff and jitter when it ends), holds the current configuration, applies
 * {@code observability.logging.level} to the agent's log, and tells listeners (later features) about each change.
 */
public final class ConfigAgentModule implements AgentModule {
    /** The configuration the agent runs with, and the commit of the config project it was read at. */
    public record Applied(String commit, String project, AgentConfig config) {}

    private final JsonLog log;
    private final Backoff backoff;
    private final List<Consumer<Applied>> listeners = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService timer = AgentTimers.single("agent-config");
    private volatile Applied current;
    private volatile Context.CancellableContext call;
    private volatile boolean closed;
    private int failures;
    private AgentConfigurationGrpc.AgentConfigurationStub stub;

    /** Waits after a failed stream as the tuned {@link Backoff} says, else as {@link ConfigDefaults} does. */
    public static AgentModule create(AgentContext context) {
        var module = new ConfigAgentModule(context.log(), context.tunings().or(new Backoff(ConfigDefaults.BACKOFF_MIN, ConfigDefaults.BACKOFF_MAX)));
        // later modules read the configuration (the flux module its webhook_receiver_url)
        context.parts().provide(ConfigAgentModule.class, module, "config");
        return module;
    }

    private ConfigAgentModule(JsonLog log, Backoff backoff) {
        this.log = log;
        this.backoff = backoff;
    }

    @Override
    public String name() {
        return "config";
    }

    @Override
    public void start(ManagedChannel kas) {
        stub = AgentConfigurationGrpc.newStub(kas);
        timer.execute(this::open);
    }

    /** The current configuration; empty until KAS sent one. */
    public Optional<Applied> current() {
        return Optional.ofNullable(current);
    }

    /** Called with every new configuration (at once with the current one, when there is one). */
    public void addListener(Consumer<Applied> listener) {
        listeners.add(listener);
        Applied c = current;
        if (c != null) listener.accept(c);
    }

    private void open() {
        if (closed) return;
        Applied c = current;
        var request = ConfigurationRequest.newBuilder().setCommitId(c == null ? "" : c.commit()).build();
        var ctx = Context.current().withCancellation();
        call = ctx;
        ctx.run(() -> stub.getConfiguration(request, new StreamObserver<>() {
            @Override
            public void onNext(ConfigurationResponse r) {
                synchronized (ConfigAgentModule.this) {
                    failures = 0;
                }
                apply(r);
            }

            @Override
            public void onError(Throwable t) {
                ended(t);
            }

            @Override
            public void onCompleted() {
                ended(null);
            }
        }));
    }

    private void ended(Throwable error) {
        if (closed) return;
        long delay;
        synchronized (this) {
            // a stream KAS ended normally (max connection age, a rollout) is reopened at once, not after a growing wait
            if (error == null) failures = 0;
            failures++;
            delay = backoff.delayMillis(failures);
        }
        log.debug("configuration stream ended, reopening", null, Map.of("error", String.valueOf(error), "retry_ms", delay));
        try {
            timer.schedule(this::open, delay, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException ignored) {
            // closing
        }
    }

    private void apply(ConfigurationResponse r) {
        AgentConfig config;
        try {
            config = AgentConfig.parse(r.getConfigYaml());
        } catch (AgentConfig.InvalidConfig e) {
            // KAS validates before sending, so this means KAS and agent versions disagree on the format.
            log.warn("configuration from KAS is not valid here, keeping the current one",
                    Map.of("commit", r.getCommitId(), "error", e.getMessage(), "line", e.line()));
            return;
        }
        var applied = new Applied(r.getCommitId(), r.getProject(), config);
        current = applied;
        log.setDebug(config.debugLogging());
        log.info("configuration applied", Map.of("commit", r.getCommitId(), "project", r.getProject(), "path", r.getPath(),
                "logging_level", config.observability().logging().level()));
        for (var l : listeners) {
            try {
                l.accept(applied);
            } catch (RuntimeException e) {
                log.warn("configuration listener failed", Map.of("error", Causes.describe(e)));
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        var c = call;
        if (c != null) c.cancel(null);
        timer.shutdownNow();
    }
}
