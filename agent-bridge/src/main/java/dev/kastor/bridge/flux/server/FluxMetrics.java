package dev.kastor.bridge.flux.server;

import dev.kastor.bridge.observability.PrometheusText;
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
        var text = new PrometheusText()
                .family("kastor_kas_flux_events_received_total", "counter", "Pushes this replica learnt of, by source.");
        received.forEach((s, n) -> text.sample("kastor_kas_flux_events_received_total", "source", s.label, n.get()));
        return text.family("kastor_kas_flux_events_delivered_total", "counter", "Events sent to the Watch calls of agents connected to this replica.")
                .sample("kastor_kas_flux_events_delivered_total", delivered.get())
                .family("kastor_kas_flux_events_dropped_total", "counter", "Events not sent to a Watch call whose agent did not read the ones before.")
                .sample("kastor_kas_flux_events_dropped_total", dropped.get())
                .family("kastor_kas_flux_ref_polls_total", "counter", "Rounds of ref polling of the projects agents watch.")
                .sample("kastor_kas_flux_ref_polls_total", polls.get())
                .family("kastor_kas_flux_watches", "gauge", "Watch calls open on this replica.")
                .sample("kastor_kas_flux_watches", watches)
                .toString();
    }
}
