package dev.kastor.bridge.module;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What one module hands another at start-up, by type: the tunnel registry, the tunnel finder the routing module
 * builds over it, the k8s API forwarder the tunnel pool serves with. Modules are built in list order, so a module
 * finds what the modules before it provided; the list is the one place that orders them.
 */
public final class Parts {
    private final Map<Class<?>, Object> byType = new HashMap<>();
    private final Map<Class<?>, String> providers = new HashMap<>();

    /** Makes {@code part} the one {@code type} later modules get; {@code by} names the provider for errors. */
    public synchronized <T> void provide(Class<T> type, T part, String by) {
        if (byType.putIfAbsent(type, type.cast(part)) != null) {
            throw new IllegalStateException("module " + by + " provides a " + type.getSimpleName() + ", which module "
                    + providers.get(type) + " already provides");
        }
        providers.put(type, by);
    }

    /** The {@code type} an earlier module provided, if any. */
    public synchronized <T> Optional<T> find(Class<T> type) {
        return Optional.ofNullable(type.cast(byType.get(type)));
    }

    /** The {@code type} an earlier module provided; {@code who} names the module that needs it, for the error. */
    public <T> T require(Class<T> type, String who) {
        return find(type).orElseThrow(() -> new IllegalStateException("module " + who + " needs a " + type.getSimpleName()
                + ", which no module before it in the list provides: put the module that provides it first"));
    }
}
