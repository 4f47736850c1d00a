package dev.kastor.bridge.observability;

/**
 * Prometheus' text exposition format, as KAS's {@code /metrics} writes it: each metric family's {@code # HELP} and
 * {@code # TYPE} lines, then its samples. Label values are written as given (callers pass numbers and fixed words,
 * or values they escaped).
 */
public final class PrometheusText {
    private final StringBuilder text = new StringBuilder();

    /** Starts the family {@code name} of {@code type} (counter, gauge, histogram). */
    public PrometheusText family(String name, String type, String help) {
        text.append("# HELP ").append(name).append(' ').append(help).append('\n');
        text.append("# TYPE ").append(name).append(' ').append(type).append('\n');
        return this;
    }

    /** {@code name value}. */
    public PrometheusText sample(String name, Object value) {
        text.append(name).append(' ').append(value).append('\n');
        return this;
    }

    /** {@code name{label="labelValue"} value}. */
    public PrometheusText sample(String name, String label, Object labelValue, Object value) {
        return sample(name, label + "=\"" + labelValue + "\"", value);
    }

    /** {@code name{labels} value}, {@code labels} already written as {@code a="x",b="y"}. */
    public PrometheusText sample(String name, String labels, Object value) {
        text.append(name).append('{').append(labels).append("} ").append(value).append('\n');
        return this;
    }

    @Override
    public String toString() {
        return text.toString();
    }
}
