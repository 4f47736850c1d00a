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
        var sb = new StringBuilder();
        sb.append("# HELP kastor_kas_connected_agents Agents with at least one tunnel stream.\n");
        sb.append("# TYPE kastor_kas_connected_agents gauge\n");
        sb.append("kastor_kas_connected_agents ").append(connectedAgents.getAsInt()).append('\n');
        sb.append("# HELP kastor_kas_open_tunnels Tunnel streams open (idle and busy).\n");
        sb.append("# TYPE kastor_kas_open_tunnels gauge\n");
        sb.append("kastor_kas_open_tunnels ").append(openTunnels.getAsInt()).append('\n');
        sb.append("# HELP kastor_kas_proxied_requests_total Requests to the k8s proxy by HTTP status (499: client went away).\n");
        sb.append("# TYPE kastor_kas_proxied_requests_total counter\n");
        new TreeMap<>(byCode).forEach((code, n) ->
                sb.append("kastor_kas_proxied_requests_total{code=\"").append(code).append("\"} ").append(n.get()).append('\n'));
        sb.append("# HELP kastor_kas_routed_requests_total Requests carried to another KAS replica that holds the agent's tunnels.\n");
        sb.append("# TYPE kastor_kas_routed_requests_total counter\n");
        sb.append("kastor_kas_routed_requests_total ").append(routed.get()).append('\n');
        sb.append("# HELP kastor_kas_routed_request_retries_total Routed requests sent to the next KAS replica holding the agent after one could not be reached.\n");
        sb.append("# TYPE kastor_kas_routed_request_retries_total counter\n");
        sb.append("kastor_kas_routed_request_retries_total ").append(retried.get()).append('\n');
        sb.append("# HELP kastor_kas_proxied_request_duration_seconds Time from request head to end of response.\n");
        sb.append("# TYPE kastor_kas_proxied_request_duration_seconds histogram\n");
        for (int i = 0; i < BUCKETS.length; i++) {
            sb.append("kastor_kas_proxied_request_duration_seconds_bucket{le=\"").append(BUCKETS[i]).append("\"} ")
                    .append(buckets.get(i)).append('\n');
        }
        sb.append("kastor_kas_proxied_request_duration_seconds_bucket{le=\"+Inf\"} ").append(count.get()).append('\n');
        sb.append("kastor_kas_proxied_request_duration_seconds_sum ").append(sum.sum()).append('\n');
        sb.append("kastor_kas_proxied_request_duration_seconds_count ").append(count.get()).append('\n');
        return sb.toString();
    }
}
