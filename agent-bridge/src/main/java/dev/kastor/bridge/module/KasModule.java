package dev.kastor.bridge.module;

import dev.kastor.bridge.agents.AgentStreams;
import dev.kastor.bridge.api.ApiEndpoint;
import io.grpc.BindableService;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A feature's server half inside {@code kastor-kas} (tunnel, routing, config, registration, k8s proxy). KAS builds
 * its modules from one list of {@link Factory factories}, adds their agent-facing gRPC services to the agent port
 * behind token authentication and their endpoints to the API port, starts them in order once every listener is up,
 * and closes them in reverse order. A module that serves a port of its own (the k8s proxy, the private API) builds
 * that listener itself.
 */
public interface KasModule extends AutoCloseable {
    /** Builds a module from its section of the configuration; may bind its own listener, and must close it on failure. */
    @FunctionalInterface
    interface Factory {
        KasModule create(KasContext context) throws IOException, InterruptedException;
    }

    /** Short name for logs, e.g. {@code config}. */
    String name();

    /**
     * gRPC services agents call on the agent port. A call reaches them only with a valid agent token; the agent is
     * {@code AgentAuthInterceptor.agentId()} of the tunnel feature (which knows no module).
     */
    default List<BindableService> agentServices() {
        return List.of();
    }

    /**
     * Agent services whose calls only hand frames on and never block (the tunnel): they run on the transport's event
     * loop, without the hop to gRPC's executor that the others get so a slow one cannot stall the transport.
     */
    default List<BindableService> inlineAgentServices() {
        return List.of();
    }

    /**
     * The long-lived calls of its agent services, which KAS ends when their agent is revoked (a token is checked
     * only when a call starts).
     */
    default List<AgentStreams> agentStreams() {
        return List.of();
    }

    /** Endpoints on KAS's API port, by exact path; each protects itself (the API port carries no authentication of its own). */
    default Map<String, ApiEndpoint> apiEndpoints() {
        return Map.of();
    }

    /** The module's lines of {@code /metrics} (Prometheus text format, HELP and TYPE included). */
    default String prometheus() {
        return "";
    }

    /**
     * Why this module keeps KAS from being ready ({@code /readyz} answers 503 with it), or empty when it is fine.
     * Called on every probe: keep it quick.
     */
    default Optional<String> notReady() {
        return Optional.empty();
    }

    /**
     * What the module says on {@code /readyz} without keeping KAS from being ready (an agent KAS dials that cannot be
     * reached), one line, or empty. Called on every probe: keep it quick.
     */
    default Optional<String> readyzNote() {
        return Optional.empty();
    }

    /** Runs once KAS listens on every port. */
    default void start() throws Exception {}

    @Override
    default void close() {}
}
