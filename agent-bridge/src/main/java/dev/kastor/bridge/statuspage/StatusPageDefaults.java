package dev.kastor.bridge.statuspage;

import java.time.Duration;

/**
 * The status page's fixed values: its paths on the API port, its session cookie, and the bounds on sign-ins. The page
 * is never anonymous: a person signs in with a GitLab personal access token (seeing the agents whose
 * {@code user_access} admits them) or an operator with the token of {@code status_page.operator_token_file}.
 */
public final class StatusPageDefaults {
    private StatusPageDefaults() {}

    /** {@code POST}, form field {@code token}: signs in, sets the session cookie and redirects to the page. */
    public static final String SIGN_IN_PATH = "/status/sign-in";
    /** {@code POST} with the session's CSRF token: ends the session. */
    public static final String SIGN_OUT_PATH = "/status/sign-out";
    /**
     * {@code POST} with the session's CSRF token and form fields {@code agent}, {@code kind}, {@code namespace},
     * {@code name} (or {@code object} as {@code KIND/NAMESPACE/NAME}, as the page's buttons send it): asks Flux to reconcile that object now ({@code reconcile.fluxcd.io/requestedAt}, as {@code flux
     * reconcile} sets it), through the agent's tunnel, as the person (their user access) or, for an operator, the agent.
     */
    public static final String RECONCILE_PATH = "/status/reconcile";
    /** Flux's annotation a controller reconciles on when its value changes. */
    public static final String REQUESTED_AT = "reconcile.fluxcd.io/requestedAt";
    /** {@code GET}: who is signed in, the session's CSRF token and when it ends. */
    public static final String SESSION_PATH = "/api/v1/status/session";
    /** {@code GET}: the agents the signed-in person may see. */
    public static final String AGENTS_PATH = "/api/v1/status/agents";
    /** The page: the sign-in form, or the agents once signed in. Where a sign-in and a sign-out send the browser. */
    public static final String PAGE_PATH = "/status";
    /** {@code GET}: the agents table's rows, as the page renders them: what the page's script swaps in every 2 s. */
    public static final String ROWS_PATH = "/status/rows";
    /**
     * Where the page's script and style are served, from the jar, under names that hold their content's hash
     * ({@code status.<12 hex>.css}): a browser keeps them a year and fetches them again only when KAS serves new ones.
     */
    public static final String STATIC_PREFIX = "/status/static/";

    /** The session cookie: HttpOnly, Secure, SameSite=Strict, path /. */
    public static final String COOKIE = "kastor_status_session";
    /** The header (or form field {@code csrf_token}) every action must carry: the session's CSRF token. */
    public static final String CSRF_HEADER = "X-CSRF-Token";
    public static final String CSRF_FIELD = "csrf_token";

    public static final Duration SESSION_TTL = Duration.ofHours(8);
    public static final Duration MIN_SESSION_TTL = Duration.ofMinutes(1);
    public static final Duration MAX_SESSION_TTL = Duration.ofDays(7);
    /** Sessions held at once; a sign-in beyond them is refused (503) until one ends. */
    public static final int MAX_SESSIONS = 10_000;
    /**
     * How the page, and each refresh of its rows, waits for agents' clusters: a read at most {@code servedStale} old is
     * shown at once while a new one runs, and a new read is waited for {@code waitAtMost}. A slow agent shows its last
     * read (or "reading") and catches up at the next refresh, so the page paints at once however slow an agent is.
     */
    public static final Freshness PAGE = new Freshness(Duration.ofMillis(250), Duration.ofMinutes(1));
    /** {@code /api/v1/status/agents}: a script gets what a new read gives, waited for within one list's timeout. */
    public static final Freshness API = new Freshness(Duration.ofSeconds(5), Duration.ZERO);

    /** How long to wait for agents' clusters to be read, and how old a read may be shown meanwhile. */
    public record Freshness(Duration waitAtMost, Duration servedStale) {}
    /** Refused sign-ins one host may make per {@link #SIGN_IN_WINDOW} before it gets 429 (guessing the operator token). */
    public static final int MAX_FAILED_SIGN_INS = 10;
    public static final Duration SIGN_IN_WINDOW = Duration.ofMinutes(1);
    public static final int MIN_OPERATOR_TOKEN = 32;
}
