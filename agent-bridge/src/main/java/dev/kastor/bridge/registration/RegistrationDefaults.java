package dev.kastor.bridge.registration;

import java.time.Duration;

/** Every default of agent registration, in one place (GitLab's agent registers every 5 minutes too). */
public final class RegistrationDefaults {
    private RegistrationDefaults() {}

    /** How often a running agent registers again. */
    public static final Duration PERIOD = Duration.ofMinutes(5);
    /** Retry after a failed registration: exponential from MIN to MAX, plus up to 20% jitter. */
    public static final Duration BACKOFF_MIN = Duration.ofSeconds(1);
    public static final Duration BACKOFF_MAX = Duration.ofSeconds(20);
    /** KAS forgets an instance that has not registered again for this long (three missed periods). */
    public static final Duration FORGET_AFTER = Duration.ofMinutes(15);
    /** How long the agent waits for the API server's {@code GET /version}. */
    public static final Duration VERSION_TIMEOUT = Duration.ofSeconds(10);
    /** The most of the API server's {@code /version} answer an agent reads (it is a few hundred bytes). */
    public static final int MAX_VERSION_BYTES = 64 * 1024;
    /** Downward-API environment variables naming the agent's pod. */
    public static final String POD_NAME_ENV = "POD_NAME";
    public static final String POD_NAMESPACE_ENV = "POD_NAMESPACE";
    /** The API-port endpoint listing registered agents (callers send {@code Authorization: Bearer <api_secret_key>}). */
    public static final String AGENTS_PATH = "/api/v1/agents";
}
