package dev.kastor.bridge.module;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Bounds and timings that tests shorten and a running KAS or agent leaves at their defaults. Each module asks for
 * its own by handing in its defaults ({@code tunings.or(ProxyLimits.DEFAULTS)}) and gets the value of that type
 * that was given, so the app that lists the modules never learns what each one tunes.
 */
public final class Tunings {
    public static final Tunings DEFAULTS = new Tunings(List.of());

    private final Map<Class<?>, Object> byType = new HashMap<>();

    private Tunings(List<?> values) {
        for (Object value : values) {
            // the type is the key: two values of one type would leave it to chance which one a module gets
            if (byType.putIfAbsent(value.getClass(), value) != null) {
                throw new IllegalArgumentException("two tunings of type " + value.getClass().getSimpleName() + ": give one");
            }
        }
    }

    /** The given values, each found by its type. */
    public static Tunings of(Object... values) {
        return new Tunings(List.of(values));
    }

    /** The value given of {@code defaults}' type, else {@code defaults}. */
    @SuppressWarnings("unchecked")
    public <T> T or(T defaults) {
        return (T) byType.getOrDefault(defaults.getClass(), defaults);
    }
}
