package dev.kastor.bridge.kubeapi.server;

import java.util.HashMap;
import java.util.Map;

/**
 * How many requests each CI job (or person), and each client address, has in flight through each agent, so that one
 * job cannot take an agent's whole tunnel pool (500 streams) and leave every other job with 503: a job over its share
 * gets 429 with {@code Retry-After} (client-go and kubectl retry those by themselves), the others go on.
 */
final class JobShares {
    private final int perJob;
    private final int perAddress;
    private final Map<String, Integer> jobs = new HashMap<>();
    private final Map<String, Integer> addresses = new HashMap<>();

    JobShares(int perJob, int perAddress) {
        this.perJob = perJob;
        this.perAddress = perAddress;
    }

    /** One request's claim: through which agent, for which job or person ({@code job 12}, {@code user 42}), from which client address. */
    record Share(long agentId, String requester, String address) {
        String job() {
            return agentId + "/" + requester;
        }

        String addressOfAgent() {
            return agentId + "/" + address;
        }
    }

    /** Null when the request may go (its share is then counted); else why not (a job's or an address's share is used up). */
    synchronized String acquire(Share s) {
        if (jobs.getOrDefault(s.job(), 0) >= perJob) {
            return s.requester() + " already has " + perJob + " requests in flight through agent " + s.agentId() + ", the most one job or user may have";
        }
        if (addresses.getOrDefault(s.addressOfAgent(), 0) >= perAddress) {
            return "this runner (" + s.address() + ") already has " + perAddress + " requests in flight through agent " + s.agentId()
                    + ", the most one address may have";
        }
        jobs.merge(s.job(), 1, Integer::sum);
        addresses.merge(s.addressOfAgent(), 1, Integer::sum);
        return null;
    }

    synchronized void release(Share s) {
        jobs.computeIfPresent(s.job(), (k, n) -> n <= 1 ? null : n - 1);
        addresses.computeIfPresent(s.addressOfAgent(), (k, n) -> n <= 1 ? null : n - 1);
    }
}
