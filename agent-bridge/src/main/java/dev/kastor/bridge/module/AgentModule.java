package dev.kastor.bridge.module;

import io.grpc.ManagedChannel;

/**
 * A feature's agent half inside {@code kastor-agent} (k8s API forwarder, tunnel, config, registration). The agent
 * builds its modules from one list of {@link Factory factories}, starts them in order on the one authenticated
 * channel to KAS and closes them in reverse order.
 */
public interface AgentModule extends AutoCloseable {
    /** Builds a module; it starts nothing until {@link #start}. */
    @FunctionalInterface
    interface Factory {
        AgentModule create(AgentContext context);
    }

    /** Short name for logs, e.g. {@code registration}. */
    String name();

    /** Starts the module's calls to KAS on {@code kas}, which already carries the agent token. */
    void start(ManagedChannel kas) throws Exception;

    @Override
    default void close() {}
}
