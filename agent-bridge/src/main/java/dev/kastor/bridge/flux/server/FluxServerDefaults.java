package dev.kastor.bridge.flux.server;

/** Every fixed figure and path of the flux feature's KAS half, in one place (the configurable ones are in {@code KasConfig}). */
public final class FluxServerDefaults {
    private FluxServerDefaults() {}

    /** GitLab's project or system push webhook; exists when {@code flux.webhook_secret_file} is set. */
    public static final String GIT_PUSH_PATH = "/api/v1/flux/git-push";
    /** A CNCF distribution registry's {@code notifications.endpoints}; exists when a registry has a notifications token. */
    public static final String REGISTRY_EVENTS_PATH = "/api/v1/flux/registry-events";
    /** {@code kastor artifact push --notify}, authenticated with the job's token. */
    public static final String OCI_PUSH_PATH = "/api/v1/flux/oci-push";
    /**
     * At most this many projects are polled per period: each costs an ls-remote, and the set comes from what agents
     * say, so it must be bounded; beyond it, the rest wait for a webhook (or Flux's own interval).
     */
    public static final int MAX_POLLED_PROJECTS = 1000;
    /** The Redis pub/sub channel, after {@code redis.key_prefix}, on which replicas hand each other deliveries. */
    public static final String CHANNEL_SUFFIX = ":flux:events";
    /** How much of a caller's bad value an error message repeats. */
    static final int ECHO_LIMIT = 200;
}
