package dev.kastor.bridge.observability;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.function.IntSupplier;

/** KAS's metrics in Prometheus text format: agents, tunnels, proxied requests by code, request latency. */
public final class ProxyMetrics {
    private static final double[] BUCKETS = {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 300};
    private final Map<Integer, AtomicLong> byCode = new ConcurrentHashMap<>();
    private final AtomicLongArray buckets = new AtomicLongArray(BUCKETS.length);
    private final AtomicLong count = new AtomicLong();
    private final DoubleAdder sum = new DoubleAdder();
    private final AtomicLong routed = new AtomicLong();
    private final AtomicLong retried = new AtomicLong();
    private final IntSupplier connectedAgents;
    private final IntSupplier openTunnels;

    public ProxyMetrics(IntSupplier connectedAgents, IntSupplier openTunnels) {
        this.connectedAgents = connectedAgents;
        this.openTunnels = openTunnels;
    }

    public void done(int code, long nanos) {
        byCode.computeIfAbsent(code, c -> new AtomicLong()).incrementAndGet();
        double seconds = nanos / 1e9;
        for (int i = 0; i < BUCKETS.length; i++) {
            if (seconds <= BUCKETS[i]) buckets.incrementAndGet(i);
        }
        count.incrementAndGet();
        sum.add(seconds);
    }

    /** A request went to another KAS replica (the one holding the agent's tunnels) over the private API. */
    public void routedToOtherReplica() {
        routed.incrementAndGet();
    }

    public long routedToOtherReplicas() {
        return routed.get();
    }

    /** A routed request went to the next replica holding the agent because the one tried before could not be reached. */
    public void retriedOnNextReplica() {
        retried.incrementAndGet();
    }

    public long retriesOnNextReplica() {
        return retried.get();
    }

    public long requests(int code) {
        AtomicLong n = byCode.get(code);
        return n == null ? 0 : n.get();
    }

    public String prometheus() {
        var text = new PrometheusText()
                .family("kastor_kas_connected_agents", "gauge", "Agents with at least one tunnel stream.")
                .sample("kastor_kas_connected_agents", connectedAgents.getAsInt())
                .family("kastor_kas_open_tunnels", "gauge", "Tunnel streams open (idle and busy).")
                .sample("kastor_kas_open_tunnels", openTunnels.getAsInt())
                .family("kastor_kas_proxied_requests_total", "counter", "Requests to the k8s proxy by HTTP status (499: client went away).");
        new TreeMap<>(byCode).forEach((code, n) -> text.sample("kastor_kas_proxied_requests_total", "code", code, n.get()));
        text.family("kastor_kas_routed_requests_total", "counter", "Requests carried to another KAS replica that holds the agent's tunnels.")
                .sample("kastor_kas_routed_requests_total", routed.get())
                .family("kastor_kas_routed_request_retries_total", "counter",
                        "Routed requests sent to the next KAS replica holding the agent after one could not be reached.")
                .sample("kastor_kas_routed_request_retries_total", retried.get())
                .family("kastor_kas_proxied_request_duration_seconds", "histogram", "Time from request head to end of response.");
        for (int i = 0; i < BUCKETS.length; i++) text.sample("kastor_kas_proxied_request_duration_seconds_bucket", "le", BUCKETS[i], buckets.get(i));
        return text.sample("kastor_kas_proxied_request_duration_seconds_bucket", "le", "+Inf", count.get())
                .sample("kastor_kas_proxied_request_duration_seconds_sum", sum.sum())
                .sample("kastor_kas_proxied_request_duration_seconds_count", count.get())
                .toString();
    }
}
