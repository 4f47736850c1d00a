package dev.kastor.bridge.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * The parts of an agent's {@code .gitlab/agents/<name>/config.yaml} Kastor reads (GitLab's format). Keys Kastor does
 * not use ({@code gitops}, {@code remote_development}, ...) are tolerated so one file serves GitLab's KAS and Kastor's
 * alike; the keys it reads are checked for type and value. {@code userAccess} is null when the file has none.
 */
public record AgentConfig(CiAccess ciAccess, String defaultNamespace, AccessAs accessAs, Flux flux, Observability observability,
                          UserAccess userAccess) {
    /** {@code ci_access}: which projects' and groups' CI jobs may use the agent (full paths). */
    public record CiAccess(List<Entry> projects, List<Entry> groups) {}

    /** One {@code ci_access.projects[]} or {@code ci_access.groups[]} item; null fields fall back to the top level. */
    public record Entry(String id, String defaultNamespace, AccessAs accessAs, List<String> environments) {}

    /** {@code access_as}: exactly one of {@code agent}, {@code impersonate}, {@code ci_job}. */
    public sealed interface AccessAs {
        record Agent() implements AccessAs {}

        record Impersonate(String username, List<String> groups, String uid, List<Extra> extra) implements AccessAs {}

        record CiJob() implements AccessAs {}

        /** GitLab's JSON shape ({@code {"ci_job": {}}}), what the k8s proxy's impersonation reads. */
        default JsonNode toJson() {
            ObjectNode n = JSON.createObjectNode();
            switch (this) {
                case Agent a -> n.putObject("agent");
                case CiJob c -> n.putObject("ci_job");
                case Impersonate i -> n.set("impersonate", JSON.valueToTree(i));
            }
            return n;
        }
    }

    public record Extra(String key, List<String> val) {}

    /**
     * {@code user_access}: people (not CI jobs) who may use the agent through the k8s proxy with a personal access
     * token: members with at least the Developer role of the listed projects (full paths) or groups (a group's members
     * include those of its ancestors, as GitLab counts them). Their requests run as the agent or as themselves.
     */
    public record UserAccess(UserAccessAs accessAs, List<String> projects, List<String> groups) {}

    /** {@code user_access.access_as}: {@code {agent: {}}} or {@code {user: {}}}, nothing else (GitLab's two kinds). */
    public enum UserAccessAs { AGENT, USER }

    /** GitLab's limit on {@code user_access.projects} and on {@code user_access.groups}. */
    public static final int MAX_USER_ACCESS_ENTRIES = 500;

    /**
     * {@code webhook_receiver_url}: where Flux's notification-controller takes Receiver webhooks, as GitLab's agent
     * takes it: an http(s) URL the agent calls directly (default: the {@code webhook-receiver} Service in
     * {@code flux-system}), or a Kubernetes service proxy path
     * ({@code /api/v1/namespaces/flux-system/services/http:webhook-receiver:80/proxy}), called through the API server
     * with the agent's own credentials, for an agent that runs outside the cluster network.
     */
    public record Flux(String webhookReceiverUrl) {
        /** {@code /api/v1/namespaces/<ns>/services/[<scheme>:]<name>[:<port>]/proxy}, names as Kubernetes allows them. */
        private static final Pattern SERVICE_PROXY = Pattern.compile(
                "/api/v1/namespaces/[a-z0-9]([-a-z0-9]*[a-z0-9])?/services/(https?:)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(:[a-z0-9]([-a-z0-9]*[a-z0-9])?)?/proxy/?");

        /** Whether the webhook goes through the API server's service proxy rather than straight to a URL. */
        public boolean throughApiServer() {
            return webhookReceiverUrl.startsWith("/");
        }

        /** Whether the value is one of the two forms; anything else is refused when the file is read. */
        boolean valid() {
            if (throughApiServer()) return SERVICE_PROXY.matcher(webhookReceiverUrl).matches();
            try {
                URI u = new URI(webhookReceiverUrl);
                return ("http".equals(u.getScheme()) || "https".equals(u.getScheme())) && u.getHost() != null;
            } catch (URISyntaxException e) {
                return false;
            }
        }
    }

    public record Observability(Logging logging) {}

    public record Logging(String level) {}

    /** What is wrong with a file, and where ({@code line} 0 when unknown). */
    public static final class InvalidConfig extends Exception {
        private final int line;

        public InvalidConfig(String message, int line) {
            super(message, null, false, false);
            this.line = line;
        }

        public int line() {
            return line;
        }
    }

    public static final List<String> LOG_LEVELS = List.of("debug", "info", "warn", "error");
    private static final JsonMapper JSON = JsonMapper.builder().propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).build();
    private static final YAMLMapper YAML = YAMLMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private record RawEntry(String id, String defaultNamespace, JsonNode accessAs, List<String> environments) {}

    private record RawCiAccess(List<RawEntry> projects, List<RawEntry> groups) {}

    private record RawUserAccess(JsonNode accessAs, List<RawEntry> projects, List<RawEntry> groups) {}

    private record Raw(RawCiAccess ciAccess, String defaultNamespace, JsonNode accessAs, Flux flux, Observability observability,
                       RawUserAccess userAccess) {}

    public static AgentConfig empty() {
        return new AgentConfig(new CiAccess(List.of(), List.of()), null, null, new Flux(ConfigDefaults.DEFAULT_FLUX_WEBHOOK_RECEIVER_URL),
                new Observability(new Logging("info")), null);
    }

    /** Parses and checks a file's text; an empty file is a valid, empty configuration (as in GitLab). */
    public static AgentConfig parse(String yaml) throws InvalidConfig {
        Raw raw;
        try {
            JsonNode tree = YAML.readTree(yaml);
            if (tree == null || tree.isMissingNode() || tree.isNull()) return empty();
            if (!tree.isObject()) throw new InvalidConfig("the file must be a YAML mapping (key: value), not a " + tree.getNodeType(), 1);
            raw = YAML.readValue(yaml, Raw.class);
        } catch (JacksonException e) {
            int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
            String where = e.getPathReference() == null || e.getPathReference().isBlank() ? "" : " (" + jsonPath(e) + ")";
            throw new InvalidConfig("not valid: " + e.getOriginalMessage() + where, Math.max(line, 0));
        }
        var ci = raw.ciAccess() == null ? new RawCiAccess(null, null) : raw.ciAccess();
        List<Entry> projects = entries(yaml, "ci_access.projects", ci.projects());
        List<Entry> groups = entries(yaml, "ci_access.groups", ci.groups());
        AccessAs top = accessAs(yaml, "access_as", raw.accessAs());
        Flux flux = raw.flux() == null || raw.flux().webhookReceiverUrl() == null ? new Flux(ConfigDefaults.DEFAULT_FLUX_WEBHOOK_RECEIVER_URL) : raw.flux();
        if (!flux.valid()) {
            throw new InvalidConfig("flux.webhook_receiver_url must be an http(s) URL (http://webhook-receiver.flux-system.svc.cluster.local)"
                    + " or a service proxy path (/api/v1/namespaces/flux-system/services/http:webhook-receiver:80/proxy), got "
                    + flux.webhookReceiverUrl(), lineOf(yaml, "webhook_receiver_url"));
        }
        String level = raw.observability() == null || raw.observability().logging() == null || raw.observability().logging().level() == null
                ? "info" : raw.observability().logging().level();
        if (!LOG_LEVELS.contains(level)) {
            throw new InvalidConfig("observability.logging.level must be one of " + LOG_LEVELS + ", got " + level, lineOf(yaml, "level"));
        }
        return new AgentConfig(new CiAccess(projects, groups), raw.defaultNamespace(), top, flux, new Observability(new Logging(level)),
                userAccess(yaml, raw.userAccess()));
    }

    /**
     * {@code access_as} is required and must be exactly {@code agent} or {@code user}: a file that says anything else
     * is refused as a whole (KAS keeps the last good one and logs why), so a mistyped {@code user} can never let people
     * in as the agent's own service account.
     */
    private static UserAccess userAccess(String yaml, RawUserAccess raw) throws InvalidConfig {
        if (raw == null) return null;
        JsonNode as = raw.accessAs();
        int line = lineOf(yaml, "user_access");
        if (as == null || as.isNull() || as.isMissingNode()) {
            throw new InvalidConfig("user_access.access_as is missing: it is required, {agent: {}} (requests run as the agent) or"
                    + " {user: {}} (as the GitLab user, impersonated)", line);
        }
        if (!as.isObject() || as.size() != 1) {
            throw new InvalidConfig("user_access.access_as must have exactly one of agent, user", line);
        }
        String kind = as.propertyNames().iterator().next();
        UserAccessAs accessAs = switch (kind) {
            case "agent" -> UserAccessAs.AGENT;
            case "user" -> UserAccessAs.USER;
            default -> throw new InvalidConfig("user_access.access_as has kind '" + kind + "', which user_access does not take:"
                    + " use agent or user", lineOf(yaml, kind));
        };
        return new UserAccess(accessAs, ids(yaml, "user_access.projects", raw.projects()), ids(yaml, "user_access.groups", raw.groups()));
    }

    private static List<String> ids(String yaml, String key, List<RawEntry> raw) throws InvalidConfig {
        List<String> ids = entries(yaml, key, raw).stream().map(Entry::id).toList();
        if (ids.size() > MAX_USER_ACCESS_ENTRIES) {
            throw new InvalidConfig(key + " lists " + ids.size() + " entries, above GitLab's limit of " + MAX_USER_ACCESS_ENTRIES
                    + ": list a common group instead of its projects", lineOf(yaml, key.substring(key.indexOf('.') + 1)));
        }
        return ids;
    }

    private static List<Entry> entries(String yaml, String key, List<RawEntry> raw) throws InvalidConfig {
        if (raw == null) return List.of();
        var out = new ArrayList<Entry>();
        for (int i = 0; i < raw.size(); i++) {
            RawEntry r = raw.get(i);
            if (r == null || r.id() == null || r.id().isBlank()) {
                throw new InvalidConfig(key + "[" + i + "].id is missing: it is the full path, e.g. group/subgroup/project", lineOf(yaml, key.substring(key.indexOf('.') + 1)));
            }
            String id = r.id().trim();
            if (id.startsWith("/") || id.endsWith("/")) {
                throw new InvalidConfig(key + "[" + i + "].id " + id + " must be a full path without leading or trailing /", lineOf(yaml, id));
            }
            out.add(new Entry(id, r.defaultNamespace(), accessAs(yaml, key + "[" + i + "].access_as", r.accessAs()),
                    r.environments() == null ? List.of() : List.copyOf(r.environments())));
        }
        return List.copyOf(out);
    }

    private static AccessAs accessAs(String yaml, String key, JsonNode n) throws InvalidConfig {
        if (n == null || n.isNull() || n.isMissingNode()) return null;
        if (!n.isObject() || n.size() != 1) {
            throw new InvalidConfig(key + " must have exactly one of agent, impersonate, ci_job", lineOf(yaml, "access_as"));
        }
        String kind = n.propertyNames().iterator().next();
        return switch (kind) {
            case "agent" -> new AccessAs.Agent();
            case "ci_job" -> new AccessAs.CiJob();
            case "impersonate" -> {
                try {
                    var i = JSON.treeToValue(n.get("impersonate"), AccessAs.Impersonate.class);
                    if (i == null || i.username() == null || i.username().isBlank()) {
                        throw new InvalidConfig(key + ".impersonate.username is missing", lineOf(yaml, "impersonate"));
                    }
                    yield new AccessAs.Impersonate(i.username(), i.groups() == null ? List.of() : i.groups(), i.uid(),
                            i.extra() == null ? List.of() : i.extra());
                } catch (JacksonException e) {
                    throw new InvalidConfig(key + ".impersonate is not valid: " + e.getOriginalMessage(), lineOf(yaml, "impersonate"));
                }
            }
            default -> throw new InvalidConfig(key + " has unknown kind '" + kind + "': use agent, impersonate or ci_job", lineOf(yaml, kind));
        };
    }

    /** Line (1-based) of the first line mentioning {@code word} as a key or value; 0 when not found. */
    private static int lineOf(String yaml, String word) {
        var p = Pattern.compile("(^|[\\s{,\\-])" + Pattern.quote(word) + "\\s*(:|$|,|})");
        String[] lines = yaml.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (p.matcher(lines[i]).find()) return i + 1;
        }
        return 0;
    }

    private static String jsonPath(JacksonException e) {
        var sb = new StringBuilder();
        for (var ref : e.getPath()) {
            if (ref.getPropertyName() != null) {
                if (!sb.isEmpty()) sb.append('.');
                sb.append(ref.getPropertyName());
            } else if (ref.getIndex() >= 0) {
                sb.append('[').append(ref.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    /** The {@code ci_access} entry that lets a job of {@code projectPath} use the agent: the project itself, else the nearest listed group. */
    public Optional<Entry> access(String projectPath) {
        // GitLab resolves full paths without regard to case, so a ci_access entry may be written in another case.
        String path = projectPath.toLowerCase(Locale.ROOT);
        for (Entry e : ciAccess.projects()) {
            if (e.id().toLowerCase(Locale.ROOT).equals(path)) return Optional.of(e);
        }
        Entry best = null;
        for (Entry g : ciAccess.groups()) {
            if (path.startsWith(g.id().toLowerCase(Locale.ROOT) + "/") && (best == null || g.id().length() > best.id().length())) best = g;
        }
        return Optional.ofNullable(best);
    }

    /** The entry's {@code default_namespace}, else the top-level one (may be null). */
    public String defaultNamespace(Entry e) {
        return e.defaultNamespace() != null ? e.defaultNamespace() : defaultNamespace;
    }

    /** The entry's {@code access_as}, else the top-level one, else {@code agent} (GitLab's default). */
    public AccessAs accessAs(Entry e) {
        if (e.accessAs() != null) return e.accessAs();
        return accessAs != null ? accessAs : new AccessAs.Agent();
    }

    public boolean debugLogging() {
        return "debug".equals(observability.logging().level());
    }

    /** For logs: no secrets live here, but keep lines short. */
    public Map<String, Object> summary() {
        var m = new LinkedHashMap<String, Object>();
        m.put("projects", ciAccess.projects().size());
        m.put("groups", ciAccess.groups().size());
        m.put("logging_level", observability.logging().level());
        if (userAccess != null) m.put("user_access", userAccess.accessAs().name().toLowerCase(Locale.ROOT));
        return m;
    }
}
