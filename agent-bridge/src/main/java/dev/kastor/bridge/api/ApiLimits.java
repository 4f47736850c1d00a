package dev.kastor.bridge.api;

import java.time.Duration;

/**
 * What one client may hold of KAS's API port, which CI jobs ({@code /api/v1/job/agents}), GitLab (webhooks) and
 * probes reach. {@code request}: from a connection's opening, or the end of its last answer, to a whole request
 * (head and body) read, however the bytes trickle; {@code response}: to write an answer to a client that does not
 * read; {@code maxHead}: bytes of the request line and of the header block each (414, 431 beyond);
 * {@code maxBody}: bytes of a body (413 beyond); {@code connectionsPerAddress}: open connections from one host.
 */
public record ApiLimits(Duration request, Duration response, int maxHead, int maxBody, int connectionsPerAddress) {
    /**
     * 30 s to send a request, as the JDK's and Go's servers give an idle connection; 64 KiB of head, far above what
     * GitLab's webhooks and curl send; 1 MiB of body, GitLab's largest push payload KAS reads; 64 connections per host,
     * far above what probes, Prometheus and the jobs behind one runner's address open at once.
     */
    public static final ApiLimits DEFAULTS = new ApiLimits(Duration.ofSeconds(30), Duration.ofSeconds(30), 64 * 1024, 1 << 20, 64);
}
