package dev.kastor.bridge.flux.server;

import dev.kastor.bridge.flux.rpc.Delivery;
import java.util.function.Consumer;

/**
 * Hands a {@link Delivery} to every KAS replica, each of which passes it to its own agents' Watch calls exactly once:
 * in memory on a single node, through Redis pub/sub with several replicas ({@link RedisFluxBus}).
 */
interface FluxBus extends AutoCloseable {
    void publish(Delivery delivery);

    default void start() {}

    @Override
    default void close() {}

    /** A single node: this replica's agents are all there is. */
    static FluxBus local(Consumer<Delivery> agents) {
        return agents::accept;
    }
}
