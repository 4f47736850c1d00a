package dev.kastor.bridge.flux.server;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** The flux feature's lines of {@code /metrics}: pushes learnt of by source, events sent to agents' Watch calls, dropped ones. */
final class FluxMetrics {
    /** Where KAS learnt of a push. */
    enum Source {
        GIT_WEBHOOK("git_webhook"), GIT_POLL("git_poll"), REGISTRY_NOTIFICATION("registry_notification"), OCI_PUSH("oci_push");

        final String label;

        Source(String label) {
            this.label = label;
        }
    }

    private final Map<Source, AtomicLong> received = new EnumMap<>(Source.class);
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong polls = new AtomicLong();

    FluxMetrics() {
        for (Source s : Source.values()) received.put(s, new AtomicLong());
    }

    void received(Source source) {
        received.get(source).incrementAndGet();
    }

    void delivered() {
        delivered.incrementAndGet();
    }

    void dropped() {
        dropped.incrementAndGet();
    }

    /** A round of ref polling ended (every project looked at, or failed). */
    void polled() {
        polls.incrementAndGet();
    }

    /** @param watches the Watch calls open here now */
    String prometheus(int watches) {
        var sb = new StringBuilder();
        sb.append("# HELP kastor_kas_flux_events_received_total Pushes this replica learnt of, by source.\n");
        sb.append("# TYPE kastor_kas_flux_events_received_total counter\n");
        received.forEach((s, n) -> sb.append("kastor_kas_flux_events_received_total{source=\"").append(s.label).append("\"} ").append(n.get()).append('\n'));
        sb.append("# HELP kastor_kas_flux_events_delivered_total Events sent to the Watch calls of agents connected to this replica.\n");
        sb.append("# TYPE kastor_kas_flux_events_delivered_total counter\n");
        sb.append("kastor_kas_flux_events_delivered_total ").append(delivered.get()).append('\n');
        sb.append("# HELP kastor_kas_flux_events_dropped_total Events not sent to a Watch call whose agent did not read the ones before.\n");
        sb.append("# TYPE kastor_kas_flux_events_dropped_total counter\n");
        sb.append("kastor_kas_flux_events_dropped_total ").append(dropped.get()).append('\n');
        sb.append("# HELP kastor_kas_flux_ref_polls_total Rounds of ref polling of the projects agents watch.\n");
        sb.append("# TYPE kastor_kas_flux_ref_polls_total counter\n");
        sb.append("kastor_kas_flux_ref_polls_total ").append(polls.get()).append('\n');
        sb.append("# HELP kastor_kas_flux_watches Watch calls open on this replica.\n");
        sb.append("# TYPE kastor_kas_flux_watches gauge\n");
        sb.append("kastor_kas_flux_watches ").append(watches).append('\n');
        return sb.toString();
    }
}
