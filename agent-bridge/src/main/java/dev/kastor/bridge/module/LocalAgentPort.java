package dev.kastor.bridge.module;

import io.grpc.ServerInterceptor;
import io.grpc.netty.shaded.io.netty.channel.local.LocalAddress;
import java.io.IOException;

/**
 * The agent port's services (every module's, behind the agent-token check) served on an in-process address, for agent
 * connections KAS did not accept but made itself (receptive agents): the bytes of such a connection are relayed into
 * it. KAS provides it as a part once its agent port is up; call it from {@link KasModule#start()}.
 */
@FunctionalInterface
public interface LocalAgentPort {
    /**
     * Serves on {@code address} until the returned handle is closed. {@code afterAuth} sees each call once its agent is
     * authenticated (it may refuse it), before the service does.
     */
    AutoCloseable serve(LocalAddress address, ServerInterceptor afterAuth) throws IOException;
}
