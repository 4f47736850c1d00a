package dev.kastor.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One real registry for a test class, with a {@link FaultProxy} in front of it: the command under test talks to the
 * proxy (where faults can be injected), the test reads the registry directly. Register it as
 * {@code @RegisterExtension static final RegistryWithFaultProxy REGISTRY = new RegistryWithFaultProxy();}.
 */
public final class RegistryWithFaultProxy implements BeforeAllCallback, AfterAllCallback {
    private RegistryServer server;
    private FaultProxy proxy;

    @Override
    public void beforeAll(ExtensionContext context) {
        server = RegistryServer.start();
        proxy = FaultProxy.in(server);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        Programs.closeAll(proxy, server);
    }

    /** The registry itself, for reading back what was pushed. */
    public RegistryServer server() {
        return server;
    }

    /** The proxy in front of it, for the command under test. */
    public FaultProxy proxy() {
        return proxy;
    }
}
