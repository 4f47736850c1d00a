package dev.kastor.steps.kube;

import dev.kastor.oci.InvalidInputException;
import dev.kastor.oci.KastorException;
import dev.kastor.steps.cli.Console;
import dev.kastor.steps.cli.Context;
import dev.kastor.steps.cli.OutputFlags;
import dev.kastor.steps.kas.KasApi;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code kastor kube kubeconfig}: writes, for a job on a self-hosted Kastor KAS, the KUBECONFIG GitLab would inject:
 * cluster {@code gitlab} (the k8s proxy), one user {@code agent:<id>} per agent with token
 * {@code ci:<id>:<CI_JOB_TOKEN>}, contexts {@code <config project path>:<agent name>} with the agent's
 * {@code default_namespace}. The agents come from KAS ({@code GET /api/v1/job/agents} with {@code JOB-TOKEN}).
 */
@Command(name = "kubeconfig", mixinStandardHelpOptions = true, description = {
        "Write the KUBECONFIG GitLab injects into jobs, for a self-hosted Kastor KAS.", "",
        "One context per agent this job may use, named <config project>:<agent>, going through the k8s proxy of KAS",
        "(kastor-kas) with the job's token.",
        "",
        "Example (in a job):  kastor kube kubeconfig --kas-api https://kas.example.com:8153 --file kubeconfig --dotenv kube.env",
        "                     export KUBECONFIG=$PWD/kubeconfig; kubectl --context group/project:prod get pods",
        ""})
public final class KubeconfigCommand implements Callable<Integer> {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final Context ctx;

    @Option(names = "--kas-api", paramLabel = "URL", description = "KAS API address (port 8153), default: $KASTOR_KAS_API_URL")
    String kasApi;

    @Option(names = "--file", paramLabel = "FILE", defaultValue = "kubeconfig",
            description = "where to write the KUBECONFIG (mode 0600; default: ${DEFAULT-VALUE})")
    String file;

    @Option(names = "--context", paramLabel = "NAME", description = "current context (default: the first agent's)")
    String context;

    @Option(names = "--certificate-authority", paramLabel = "FILE",
            description = "CA certificate (PEM) of KAS (private CA): embedded as certificate-authority-data for the k8s proxy, and trusted besides the system CAs when asking the KAS API")
    String certificateAuthority;

    @Mixin OutputFlags output;

    public KubeconfigCommand(Context ctx) {
        this.ctx = ctx;
    }

    /** One agent as KAS lists it. */
    record JobAgent(long id, String configProject, String name, String defaultNamespace) {
        String contextName() {
            return configProject + ":" + name;
        }
    }

    @Override
    public Integer call() throws Exception {
        var console = new Console(ctx, output.json());
        String api = KasApi.address(kasApi, ctx.env("KASTOR_KAS_API_URL"));
        String jobToken = KasApi.jobToken(ctx.env("CI_JOB_TOKEN"));

        JsonNode answer = fetchAgents(api, jobToken);
        String proxyUrl = answer.path("k8s_proxy_url").asString();
        List<JobAgent> agents = new ArrayList<>();
        for (JsonNode a : answer.path("agents")) {
            agents.add(new JobAgent(a.path("id").asLong(), a.path("config_project").asString(), a.path("name").asString(),
                    a.path("default_namespace").asString(null)));
        }
        if (agents.isEmpty()) {
            throw new KastorException("KAS " + api + " lists no agent this job may use: add the project to ci_access in the agent's "
                    + ".gitlab/agents/<name>/config.yaml, and register the agent on KAS");
        }
        String current = context != null ? context : agents.get(0).contextName();
        if (agents.stream().noneMatch(a -> a.contextName().equals(current))) {
            throw new InvalidInputException("--context " + current + " is not one of this job's agents: "
                    + agents.stream().map(JobAgent::contextName).toList());
        }
        String ca = certificateAuthority == null ? null
                : Base64.getEncoder().encodeToString(Files.readAllBytes(ctx.path(certificateAuthority)));
        Path target = ctx.path(file);
        write(target, render(proxyUrl, ca, agents, current, jobToken));
        console.info("wrote " + target + " with " + agents.size() + " context(s); current: " + current);

        var json = new LinkedHashMap<String, Object>();
        json.put("kubeconfig", target.toString());
        json.put("current_context", current);
        json.put("contexts", agents.stream().map(JobAgent::contextName).toList());
        output.emit(ctx, target.toString(), json, Map.of("KUBECONFIG", target.toString()));
        return 0;
    }

    private JsonNode fetchAgents(String api, String jobToken) throws InterruptedException {
        Path ca = certificateAuthority == null ? null : ctx.path(certificateAuthority);
        return new KasApi(api, ca, "--certificate-authority").get("/api/v1/job/agents", jobToken, "list this job's agents");
    }

    /** YAML with every string JSON-quoted (a JSON string is a valid YAML scalar), so no value can break the file. */
    static String render(String proxyUrl, String caData, List<JobAgent> agents, String current, String jobToken) {
        var y = new StringBuilder();
        y.append("apiVersion: v1\nkind: Config\nclusters:\n- name: gitlab\n  cluster:\n    server: ").append(q(proxyUrl)).append('\n');
        if (caData != null) y.append("    certificate-authority-data: ").append(q(caData)).append('\n');
        y.append("users:\n");
        for (JobAgent a : agents) {
            y.append("- name: ").append(q("agent:" + a.id())).append("\n  user:\n    token: ").append(q("ci:" + a.id() + ":" + jobToken)).append('\n');
        }
        y.append("contexts:\n");
        for (JobAgent a : agents) {
            y.append("- name: ").append(q(a.contextName())).append("\n  context:\n    cluster: gitlab\n    user: ").append(q("agent:" + a.id())).append('\n');
            if (a.defaultNamespace() != null) y.append("    namespace: ").append(q(a.defaultNamespace())).append('\n');
        }
        y.append("current-context: ").append(q(current)).append('\n');
        return y.toString();
    }

    private static String q(String s) {
        return JSON.writeValueAsString(s);
    }

    private static void write(Path target, String content) {
        try {
            if (target.getParent() != null) Files.createDirectories(target.getParent());
            Path tmp = Files.createTempFile(target.toAbsolutePath().getParent(), ".kubeconfig", ".tmp");
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException ignored) {
                // not a POSIX file system
            }
            Files.writeString(tmp, content, StandardCharsets.UTF_8);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
