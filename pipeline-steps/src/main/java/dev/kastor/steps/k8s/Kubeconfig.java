package dev.kastor.steps.k8s;

import dev.kastor.oci.Causes;
import dev.kastor.oci.InvalidInputException;
import dev.kastor.steps.env.Environment;
import io.fabric8.kubernetes.api.model.NamedAuthInfo;
import io.fabric8.kubernetes.api.model.NamedCluster;
import io.fabric8.kubernetes.api.model.NamedContext;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.internal.KubeConfigUtils;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The kubeconfig a job was given: {@code --kubeconfig}, else {@code KUBECONFIG} (GitLab injects it as a file
 * variable; a colon-separated list is read in order, the first file naming a context wins), else
 * {@code ~/.kube/config}. Read from the {@link Environment} handed in, never from the JVM's.
 */
public final class Kubeconfig {
    /** How a job gets a kubeconfig, for every message about a missing, empty or context-less one. */
    static final String HOW_TO_GET_ONE = "in GitLab CI, GitLab sets KUBECONFIG for a job when an agent shares itself with the job's project"
            + " (ci_access in the agent's .gitlab/agents/<name>/config.yaml); with a self-hosted Kastor KAS, write one with"
            + " 'kastor kube kubeconfig'; or pass --kubeconfig FILE";

    private final List<AgentContext> contexts;
    private final Map<String, String> contents; // file -> text, to build a client config for one of its contexts
    private final String current;
    private final String source;
    private final List<Path> empty; // files of a KUBECONFIG list that hold nothing, named when no context is found

    private Kubeconfig(List<AgentContext> contexts, Map<String, String> contents, String current, String source, List<Path> empty) {
        this.contexts = contexts;
        this.contents = contents;
        this.current = current;
        this.source = source;
        this.empty = empty;
    }

    public static Kubeconfig load(Environment env, String explicit) {
        List<Path> files = new ArrayList<>();
        String source;
        if (explicit != null) {
            files.add(env.path(explicit));
            source = "--kubeconfig " + explicit;
        } else if (env.env("KUBECONFIG") != null) {
            for (String p : env.env("KUBECONFIG").split(":")) if (!p.isBlank()) files.add(env.path(p));
            source = "KUBECONFIG=" + env.env("KUBECONFIG");
        } else {
            files.add(env.home().resolve(".kube/config"));
            source = "~/.kube/config";
        }
        var contexts = new ArrayList<AgentContext>();
        var seen = new HashSet<String>();
        var contents = new LinkedHashMap<String, String>();
        var empty = new ArrayList<Path>();
        String current = null;
        boolean single = explicit != null || files.size() == 1;
        for (Path f : files) {
            if (!Files.isRegularFile(f)) {
                if (single) throw new InvalidInputException("no kubeconfig at " + f + " (from " + source + "): " + HOW_TO_GET_ONE);
                continue;
            }
            String text;
            try {
                text = Files.readString(f, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new InvalidInputException("cannot read kubeconfig " + f + ": " + Causes.describe(e), e);
            }
            io.fabric8.kubernetes.api.model.Config model;
            try {
                model = KubeConfigUtils.parseConfigFromString(text);
            } catch (RuntimeException e) {
                throw new InvalidInputException("kubeconfig " + f + " is not valid YAML kubeconfig: " + firstLine(Causes.describe(e)), e);
            }
            if (model == null) { // no YAML document at all: an empty file, or only comments
                if (single) throw new InvalidInputException("kubeconfig " + f + " (from " + source + ") is empty: " + HOW_TO_GET_ONE);
                empty.add(f); // kubectl skips an empty file of a list too
                continue;
            }
            contents.put(f.toString(), text);
            if (current == null && model.getCurrentContext() != null && !model.getCurrentContext().isBlank()) current = model.getCurrentContext();
            for (NamedContext nc : nullSafe(model.getContexts())) {
                if (nc.getName() == null || nc.getContext() == null || !seen.add(nc.getName())) continue;
                contexts.add(describe(nc, model, f));
            }
        }
        return new Kubeconfig(List.copyOf(contexts), contents, current, source, List.copyOf(empty));
    }

    private static AgentContext describe(NamedContext nc, io.fabric8.kubernetes.api.model.Config model, Path file) {
        var c = nc.getContext();
        String server = null;
        for (NamedCluster cl : nullSafe(model.getClusters())) {
            if (cl.getName() != null && cl.getName().equals(c.getCluster()) && cl.getCluster() != null) server = cl.getCluster().getServer();
        }
        String agentId = null;
        String user = c.getUser();
        // agent:<id> as GitLab names a job's user; agent:<id>@<KAS host> as 'kastor kube kubeconfig --user' names a person's
        if (user != null && user.startsWith("agent:")) agentId = user.substring("agent:".length()).split("@", 2)[0];
        for (NamedAuthInfo u : nullSafe(model.getUsers())) {
            // GitLab's token is ci:<agent id>:<job token>: the agent id is the only part that may be shown.
            if (agentId == null && u.getName() != null && u.getName().equals(user) && u.getUser() != null && u.getUser().getToken() != null
                    && u.getUser().getToken().startsWith("ci:")) {
                String[] parts = u.getUser().getToken().split(":", 3);
                if (parts.length == 3) agentId = parts[1];
            }
        }
        String[] split = agentId == null ? null : AgentContext.split(nc.getName());
        return new AgentContext(nc.getName(), split == null ? null : split[0], split == null ? null : split[1], agentId, c.getCluster(), server,
                c.getNamespace(), file);
    }

    public List<AgentContext> contexts() {
        return contexts;
    }

    public List<AgentContext> agentContexts() {
        return contexts.stream().filter(AgentContext::isAgent).toList();
    }

    /** Where the contexts came from, for messages: {@code KUBECONFIG=FILE[:FILE...]}, {@code --kubeconfig FILE}, {@code ~/.kube/config}. */
    public String source() {
        return source;
    }

    public String currentContext() {
        return current;
    }

    /**
     * The context to use: the one asked for ({@code --agent} or {@code KASTOR_AGENT}), else the only agent context,
     * else the current context when there is no agent context at all. Anything ambiguous is an error listing the choices.
     */
    public AgentContext select(String asked, String askedFrom) {
        if (contexts.isEmpty()) {
            throw new InvalidInputException(source + " has no contexts" + (asked == null ? "" : " (" + askedFrom + " asks for '" + asked + "')")
                    + (empty.isEmpty() ? "" : "; empty: " + String.join(", ", empty.stream().map(Path::toString).toList())) + ": " + HOW_TO_GET_ONE);
        }
        if (asked != null) {
            for (AgentContext c : contexts) if (c.name().equals(asked)) return c;
            throw new InvalidInputException("no context '" + asked + "' (from " + askedFrom + ") in " + source + "; it has: " + names(contexts)
                    + ". Agent contexts are named <agent config project path>:<agent name>; the job's project must be in the agent's ci_access");
        }
        List<AgentContext> agents = agentContexts();
        if (agents.size() == 1) return agents.get(0);
        if (agents.size() > 1) {
            throw new InvalidInputException(source + " has " + agents.size() + " agent contexts: " + names(agents)
                    + "; pick one with --agent PATH:NAME or KASTOR_AGENT");
        }
        if (current != null) {
            for (AgentContext c : contexts) if (c.name().equals(current)) return c;
        }
        if (contexts.size() == 1) return contexts.get(0);
        throw new InvalidInputException(source + " has no agent context (contexts: " + names(contexts) + ")"
                + "; in GitLab CI the job's project must be listed in the agent's ci_access, or pick a context with --agent");
    }

    /** The fabric8 client configuration of one context (server, TLS, token), read from the file that names it. */
    public Config clientConfig(AgentContext context) {
        String text = contents.get(context.file().toString());
        try {
            return Config.fromKubeconfig(context.name(), text, context.file().toString());
        } catch (RuntimeException e) {
            throw new InvalidInputException("context " + context.name() + " in " + context.file() + " is unusable: " + firstLine(Causes.describe(e)), e);
        }
    }

    private static String names(List<AgentContext> list) {
        return list.isEmpty() ? "none" : String.join(", ", list.stream().map(AgentContext::name).toList());
    }

    private static <T> List<T> nullSafe(List<T> l) {
        return l == null ? List.of() : l;
    }

    static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
