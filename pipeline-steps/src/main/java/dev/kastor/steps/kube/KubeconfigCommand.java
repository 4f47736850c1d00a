package dev.kastor.steps.kube;

import dev.kastor.oci.InvalidInputException;
import dev.kastor.oci.KastorException;
import dev.kastor.steps.cli.Console;
import dev.kastor.steps.cli.Context;
import dev.kastor.steps.cli.OutputFlags;
import dev.kastor.steps.kas.KasApi;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;

/**
 * {@code kastor kube kubeconfig}: writes, for a job on a self-hosted Kastor KAS, the KUBECONFIG GitLab would inject:
 * cluster {@code gitlab} (the k8s proxy), one user {@code agent:<id>} per agent with token
 * {@code ci:<id>:<CI_JOB_TOKEN>}, contexts {@code <config project path>:<agent name>} with the agent's
 * {@code default_namespace}. The agents come from KAS ({@code GET /api/v1/job/agents} with {@code JOB-TOKEN}).
 *
 * <p>With {@code --user}, the same for a person, as {@code glab cluster agent update-kubeconfig} does for GitLab's KAS:
 * the agents whose {@code user_access} admits the owner of a personal access token ({@code GET /api/v1/user/agents}),
 * merged into the person's kubeconfig, the token {@code pat:<id>:<token>} given by {@code kastor kube token} when
 * kubectl asks (or written into the file with {@code --embed-token}).
 */
@Command(name = "kubeconfig", mixinStandardHelpOptions = true, description = {
        "Write the KUBECONFIG GitLab injects into jobs, for a self-hosted Kastor KAS; with --user, yours.", "",
        "One context per agent this job may use, named <config project>:<agent>, going through the k8s proxy of KAS",
        "(kastor-kas) with the job's token.",
        "With --user: one context per agent whose user_access admits you, with your GitLab personal access token",
        "(scope k8s_proxy) from --token-file, merged into the first file of $KUBECONFIG, else ~/.kube/config.",
        "kubectl then runs 'kastor kube token' for the token, so it stays in its file (--embed-token copies it in).",
        "",
        "Example (in a job):  kastor kube kubeconfig --kas-api https://kas.example.com:8153 --file kubeconfig --dotenv kube.env",
        "                     export KUBECONFIG=$PWD/kubeconfig; kubectl --context group/project:prod get pods",
        "Example (a person):  kastor kube kubeconfig --user --kas-api https://kas.example.com:8153 \\",
        "                       --token-file ~/.config/kastor/gitlab-token",
        "                     kubectl --context group/project:prod get pods",
        ""})
public final class KubeconfigCommand implements Callable<Integer> {
    private static final String NO_AGENT_FOR_JOB = " lists no agent this job may use: add the project to ci_access in the agent's"
            + " .gitlab/agents/<name>/config.yaml, and register the agent on KAS";
    private static final String NO_AGENT_FOR_PERSON = " lists no agent you may use: add a project or group you are a Developer (or more)"
            + " of to user_access in the agent's .gitlab/agents/<name>/config.yaml";

    private final Context ctx;

    @Option(names = "--kas-api", paramLabel = "URL", description = "KAS API address (port 8153), default: $KASTOR_KAS_API_URL")
    String kasApi;

    @Option(names = "--user", description = "for a person, not a job: the agents whose user_access admits you, merged into your kubeconfig")
    boolean user;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "with --user: file holding your GitLab personal access token (scope k8s_proxy)")
    String tokenFile;

    @Option(names = "--embed-token", description = "with --user: write pat:<id>:<token> into the kubeconfig instead of running 'kastor kube token'")
    boolean embedToken;

    @Option(names = "--exec-command", paramLabel = "PATH", defaultValue = "kastor",
            description = "with --user: the kastor that kubectl runs for the token (default: ${DEFAULT-VALUE}, found on PATH)")
    String execCommand;

    @Option(names = "--file", paramLabel = "FILE",
            description = "where to write the KUBECONFIG (mode 0600; default: kubeconfig; with --user: merged into the first file of $KUBECONFIG, else ~/.kube/config)")
    String file;

    @Option(names = "--context", paramLabel = "NAME",
            description = "current context (default: the first agent's; with --user, the file's current context stays unless it has none)")
    String context;

    @Option(names = "--certificate-authority", paramLabel = "FILE",
            description = "CA certificate (PEM) of KAS (private CA): embedded as certificate-authority-data for the k8s proxy, and trusted besides the system CAs when asking the KAS API")
    String certificateAuthority;

    @Mixin OutputFlags output;

    @Spec CommandSpec spec;

    public KubeconfigCommand(Context ctx) {
        this.ctx = ctx;
    }

    /** One agent as KAS lists it. */
    record ListedAgent(long id, String configProject, String name, String defaultNamespace) {
        String contextName() {
            return configProject + ":" + name;
        }
    }

    @Override
    public Integer call() throws Exception {
        var console = new Console(ctx, output.json());
        String api = KasApi.address(kasApi, ctx.env("KASTOR_KAS_API_URL"));
        if (!user && (tokenFile != null || embedToken)) {
            throw new InvalidInputException("--token-file and --embed-token are for a person's kubeconfig: add --user (a job uses CI_JOB_TOKEN)");
        }
        if (embedToken && spec.commandLine().getParseResult().hasMatchedOption("--exec-command")) {
            throw new InvalidInputException("--embed-token writes the token into the kubeconfig, so kubectl runs no --exec-command: pass one of them");
        }
        Path tokenPath = user ? ctx.path(required(tokenFile)).toAbsolutePath() : null;
        String token = user ? TokenCommand.read(tokenPath, "--token-file") : KasApi.jobToken(ctx.env("CI_JOB_TOKEN"));

        JsonNode answer = user ? kas(api).get("/api/v1/user/agents", KasApi.Credential.person(token), "list the agents you may use")
                : kas(api).get("/api/v1/job/agents", token, "list this job's agents");
        String proxyUrl = answer.path("k8s_proxy_url").asString();
        List<ListedAgent> agents = new ArrayList<>();
        for (JsonNode a : answer.path("agents")) {
            agents.add(new ListedAgent(a.path("id").asLong(), a.path("config_project").asString(), a.path("name").asString(),
                    a.path("default_namespace").asString(null)));
        }
        if (agents.isEmpty()) throw new KastorException("KAS " + api + (user ? NO_AGENT_FOR_PERSON : NO_AGENT_FOR_JOB));
        if (context != null && agents.stream().noneMatch(a -> a.contextName().equals(context))) {
            throw new InvalidInputException("--context " + context + " is not one of " + (user ? "your" : "this job's") + " agents: "
                    + agents.stream().map(ListedAgent::contextName).toList());
        }
        String ca = certificateAuthority == null ? null
                : Base64.getEncoder().encodeToString(Files.readAllBytes(ctx.path(certificateAuthority)));
        Path target = ctx.path(file != null ? file : user ? personalKubeconfig() : "kubeconfig");
        KubeconfigFile kubeconfig = user ? KubeconfigFile.load(target) : KubeconfigFile.empty();
        String cluster = user ? URI.create(proxyUrl).getHost() : "gitlab";
        kubeconfig.cluster(cluster, proxyUrl, ca);
        for (ListedAgent a : agents) {
            String name = user ? "agent:" + a.id() + "@" + cluster : "agent:" + a.id();
            if (!user) kubeconfig.tokenUser(name, "ci:" + a.id() + ":" + token);
            else if (embedToken) kubeconfig.tokenUser(name, "pat:" + a.id() + ":" + token);
            else kubeconfig.execUser(name, execCommand, "kube", "token", "--agent-id", String.valueOf(a.id()), "--token-file", tokenPath.toString());
            kubeconfig.context(a.contextName(), cluster, name, a.defaultNamespace());
        }
        // A person's file keeps the context they work in; a job's file is new, and a job means its first agent.
        if (!user || context != null || kubeconfig.currentContext() == null) {
            kubeconfig.currentContext(context != null ? context : agents.get(0).contextName());
        }
        kubeconfig.write(target);
        String current = kubeconfig.currentContext();
        console.info("wrote " + target + " with " + agents.size() + " context(s); current: " + current);

        var json = new LinkedHashMap<String, Object>();
        json.put("kubeconfig", target.toString());
        json.put("current_context", current);
        json.put("contexts", agents.stream().map(ListedAgent::contextName).toList());
        output.emit(ctx, target.toString(), json, Map.of("KUBECONFIG", target.toString()));
        return 0;
    }

    private static String required(String tokenFile) {
        if (tokenFile == null) {
            throw new InvalidInputException("--user needs --token-file FILE: a file holding your GitLab personal access token with the"
                    + " k8s_proxy scope (User settings > Access tokens)");
        }
        return tokenFile;
    }

    /** Where kubectl itself would write: the first file of {@code $KUBECONFIG}, else {@code ~/.kube/config}. */
    private String personalKubeconfig() {
        String list = ctx.env("KUBECONFIG");
        if (list != null) {
            for (String p : list.split(":")) if (!p.isBlank()) return p;
        }
        return ctx.home().resolve(".kube/config").toString();
    }

    private KasApi kas(String api) {
        Path ca = certificateAuthority == null ? null : ctx.path(certificateAuthority);
        return new KasApi(api, ca, "--certificate-authority");
    }
}
