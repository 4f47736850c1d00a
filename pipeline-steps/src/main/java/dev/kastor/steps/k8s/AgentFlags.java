package dev.kastor.steps.k8s;

import dev.kastor.steps.cli.Console;
import dev.kastor.steps.cli.Context;
import dev.kastor.steps.cli.OptionVariables;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** Which cluster to talk to: an agent context of the job's kubeconfig. Shared by every kube and flux verb. */
public final class AgentFlags {
    @Option(names = "--agent", paramLabel = "PATH:NAME",
            description = "Agent context to use: <agent config project path>:<agent name> (default: KASTOR_AGENT, else the only agent context"
                    + " in KUBECONFIG). See 'kastor kube contexts'.")
    String agent;

    @Option(names = "--kubeconfig", paramLabel = "FILE", description = "Kubeconfig to read instead of KUBECONFIG (which GitLab injects for agents).")
    String kubeconfig;

    @Option(names = "--request-timeout", paramLabel = "SECONDS", defaultValue = "30",
            description = "Timeout of a single API request (default: ${DEFAULT-VALUE}); waits have their own --timeout.")
    int requestTimeoutSeconds = 30;

    /** The command these flags belong to, for where --agent came from (null when made outside kastor). */
    @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
    CommandLine.Model.CommandSpec command;

    /** Resolves the context and says on stderr which one is used (never the token). */
    public KubeConnection connect(Context ctx, Console console) {
        Kubeconfig config = Kubeconfig.load(ctx, kubeconfig);
        // --agent is typed, or set by KASTOR_AGENT (or the command's own KASTOR_<GROUP>_<VERB>_AGENT): say which.
        String from = OptionVariables.origin(command, "--agent");
        AgentContext chosen = config.select(agent, from);
        String why = agent != null ? "from " + from : chosen.isAgent() ? "the only agent context in " + config.source() : "current context of " + config.source();
        console.info("using " + (chosen.isAgent() ? "agent context " : "context ") + chosen.name()
                + (chosen.agentId() != null ? " (agent id " + chosen.agentId() + ")" : "") + " -> " + chosen.server() + " [" + why + "]");
        return KubeConnection.open(chosen, config.clientConfig(chosen), requestTimeoutSeconds);
    }
}
