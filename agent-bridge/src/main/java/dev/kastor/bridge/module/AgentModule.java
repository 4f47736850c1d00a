package dev.kastor.bridge.module;

import io.grpc.Channel;

/**
 * A feature's agent half inside {@code kastor-agent} (tunnel, config, registration, ...). The agent starts its
 * modules in order on the one authenticated channel to KAS and closes them in reverse order.
 */
public interface AgentModule extends AutoCloseable {
    /** Short name for logs, e.g. {@code registration}. */
    String name();

    /** Starts the module's calls to KAS on {@code kas}, which already carries the agent token. */
    void start(Channel kas) throws Exception;

    @Override
    default void close() {}
}
