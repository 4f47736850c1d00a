package dev.kastor.steps.kube;

import dev.kastor.oci.Causes;
import dev.kastor.oci.InvalidInputException;
import dev.kastor.steps.cli.Context;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code kastor kube token}: kubectl's exec credential plugin for a person's kubeconfig
 * ({@code kastor kube kubeconfig --user}). It prints an {@code ExecCredential} whose token is
 * {@code pat:<agent id>:<personal access token>}, read from a file each time, so the token stays in that one file.
 */
@Command(name = "token", mixinStandardHelpOptions = true, description = {
        "Print the credential kubectl sends to a Kastor KAS for you (an exec credential plugin).", "",
        "'kastor kube kubeconfig --user' writes kubeconfig users that run this; you rarely call it yourself.",
        "It prints an ExecCredential (client.authentication.k8s.io/v1) with the token pat:<agent id>:<token>,",
        "the token read from --token-file: a GitLab personal access token with the k8s_proxy scope.",
        "",
        "Example:  kastor kube token --agent-id 7 --token-file ~/.config/kastor/gitlab-token",
        ""})
public final class TokenCommand implements Callable<Integer> {
    static final String EXEC_API_VERSION = "client.authentication.k8s.io/v1";
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final Context ctx;

    @Option(names = "--agent-id", paramLabel = "ID", required = true, description = "the agent's numeric id (kastor kube kubeconfig --user lists them)")
    long agentId;

    @Option(names = "--token-file", paramLabel = "FILE", required = true,
            description = "file holding your GitLab personal access token (scope k8s_proxy)")
    String tokenFile;

    public TokenCommand(Context ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() {
        String token = "pat:" + agentId + ":" + read(ctx.path(tokenFile), "--token-file");
        ctx.out().println(JSON.writeValueAsString(Map.of("apiVersion", EXEC_API_VERSION, "kind", "ExecCredential",
                "status", Map.of("token", token))));
        return 0;
    }

    /** The personal access token in {@code file}, without surrounding white space; never part of a message. */
    static String read(Path file, String option) {
        String token;
        try {
            token = Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new InvalidInputException("cannot read the token file " + file + " (" + option + "): " + Causes.describe(e)
                    + ". Put a GitLab personal access token with the k8s_proxy scope in it (User settings > Access tokens)", e);
        }
        if (token.isEmpty() || token.chars().anyMatch(c -> c <= ' ')) {
            throw new InvalidInputException("the token file " + file + " (" + option + ") must hold one GitLab personal access token"
                    + " (scope k8s_proxy) and nothing else");
        }
        return token;
    }
}
