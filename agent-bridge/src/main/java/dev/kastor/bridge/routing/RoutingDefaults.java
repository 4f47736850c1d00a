package dev.kastor.bridge.routing;

import java.time.Duration;

/** Every default of multi-replica KAS (routing), in one place; the Redis figures are GitLab's KAS's. */
public final class RoutingDefaults {
    private RoutingDefaults() {}

    /** How long a tracker entry lives without a refresh: a replica that dies silently is forgotten after this. */
    public static final Duration ENTRY_TTL = Duration.ofMinutes(5);
    /** How often a replica refreshes the entries of the agents it holds (well inside {@link #ENTRY_TTL}). */
    public static final Duration REFRESH = Duration.ofMinutes(4);
    /** How often a replica checks Redis, and re-registers its agents after Redis was away (it may have lost them). */
    public static final Duration HEALTH_CHECK = Duration.ofSeconds(5);
    /** One Redis command, connection included: a request never waits longer than this on the tracker. */
    public static final Duration REDIS_TIMEOUT = Duration.ofSeconds(2);
    public static final String KEY_PREFIX = "kastor";
    /** Environment variable that gives {@code own_private_api_url} when the config file does not (as in GitLab's KAS). */
    public static final String OWN_PRIVATE_API_URL_ENV = "OWN_PRIVATE_API_URL";
    /** Issuer and audience of the private API's JWTs. */
    public static final String JWT_ISSUER = "kastor-kas";
    public static final String JWT_AUDIENCE = "kastor-kas";
    /** Lifetime of a private API JWT; a token claiming a longer life is refused. */
    public static final Duration JWT_LIFETIME = Duration.ofMinutes(1);
    /** Clock difference tolerated between replicas when checking a JWT's times. */
    public static final Duration JWT_CLOCK_SKEW = Duration.ofSeconds(10);
    /** Connecting to another replica's private API: fail fast rather than hold the CI job's request. */
    public static final Duration REPLICA_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /**
     * A channel to another replica that carried no call for this long is closed (a replica that left is named by no
     * tracker entry, so its channel would otherwise stay open for good). The next call simply opens a new one.
     */
    public static final Duration REPLICA_CHANNEL_IDLE = Duration.ofMinutes(5);

    /**
     * Connections one host may hold open on the private API. A replica opens one to each other replica (a pod has
     * its own address); beyond this many from one host, a new one is closed as it is accepted.
     */
    public static final int PRIVATE_API_CONNECTIONS_PER_ADDRESS = 64;

    /**
     * A private API connection without any call for this long is closed by the server: twice the time after which
     * the calling replica drops an idle channel itself ({@link #REPLICA_CHANNEL_IDLE}), so only strangers meet it.
     */
    public static final Duration PRIVATE_API_CONNECTION_IDLE = REPLICA_CHANNEL_IDLE.multipliedBy(2);
    /**
     * At most this many replicas holding an agent are tried for one request (each failing before it answered): bounds
     * the CI job's wait on stale tracker entries to a few connect timeouts.
     */
    public static final int MAX_REPLICA_ATTEMPTS = 3;
    /**
     * A replica that could not be connected to is tried after the other holders for this long: its channel is closed
     * (so that a replica back at the same address is reached at once), and a host that drops packets would otherwise
     * cost every request a {@link #REPLICA_CONNECT_TIMEOUT} until its tracker entries expire.
     */
    public static final Duration REPLICA_UNREACHABLE_MEMORY = Duration.ofSeconds(30);
}
