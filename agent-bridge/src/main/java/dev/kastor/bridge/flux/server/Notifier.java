package dev.kastor.bridge.flux.server;

import dev.kastor.bridge.flux.rpc.Delivery;
import dev.kastor.bridge.flux.rpc.FluxEvent;
import dev.kastor.bridge.flux.rpc.GitPush;
import dev.kastor.bridge.flux.rpc.OciPush;
import java.util.Collection;

/** What the webhooks, the ref poller and {@code oci-push} tell the agents through: counts the push, then publishes it. */
final class Notifier {
    private final FluxBus bus;
    private final FluxMetrics metrics;

    Notifier(FluxBus bus, FluxMetrics metrics) {
        this.bus = bus;
        this.metrics = metrics;
    }

    /** Every agent learns that {@code project} (full path) moved. */
    void gitPush(FluxMetrics.Source source, String project) {
        metrics.received(source);
        bus.publish(Delivery.newBuilder().setEvent(FluxEvent.newBuilder().setGitPush(GitPush.newBuilder().setProject(project))).build());
    }

    /** Every agent learns of the manifest pushed. */
    void ociPush(FluxMetrics.Source source, OciPush push) {
        metrics.received(source);
        bus.publish(Delivery.newBuilder().setEvent(FluxEvent.newBuilder().setOciPush(push)).build());
    }

    /** Only {@code agentIds} (never empty: an empty list would mean every agent) learn of the manifest pushed. */
    void ociPush(FluxMetrics.Source source, OciPush push, Collection<Long> agentIds) {
        if (agentIds.isEmpty()) throw new IllegalArgumentException("no agent to notify: an empty list would reach every agent");
        metrics.received(source);
        bus.publish(Delivery.newBuilder().setEvent(FluxEvent.newBuilder().setOciPush(push)).addAllAgentIds(agentIds).build());
    }
}
