package dev.kastor.steps.k8s;

import dev.kastor.steps.cli.Console;
import dev.kastor.steps.cli.Context;
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

    /** Resolves the context and says on stderr which one is used (never the token). */
    public KubeConnection connect(Context ctx, Console console) {
        Kubeconfig config = Kubeconfig.load(ctx, kubeconfig);
        String asked = agent;
        String from = "--agent";
        if (asked == null && ctx.env("KASTOR_AGENT") != null) {
            asked = ctx.env("KASTOR_AGENT");
            from = "KASTOR_AGENT";
        }
        AgentContext chosen = config.select(asked, from);
        String why = asked != null ? "from " + from : chosen.isAgent() ? "the only agent context in " + config.source() : "current context of " + config.source();
        console.info("using " + (chosen.isAgent() ? "agent context " : "context ") + chosen.name()
                + (chosen.agentId() != null ? " (agent id " + chosen.agentId() + ")" : "") + " -> " + chosen.server() + " [" + why + "]");
        return KubeConnection.open(chosen, config.clientConfig(chosen), requestTimeoutSeconds);
    }
}
