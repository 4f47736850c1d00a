package dev.kastor.steps.kube;

import dev.kastor.steps.cli.Context;
import dev.kastor.steps.cli.OutputFlags;
import dev.kastor.steps.k8s.AgentContext;
import dev.kastor.steps.k8s.Kubeconfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "contexts", description = {"List the agent contexts of KUBECONFIG (<agent config project path>:<agent name>); tokens are never shown.", "",
        "Example: kastor kube contexts --output json", ""})
final class ContextsCommand implements Callable<Integer> {
    private final Context ctx;

    @Option(names = "--kubeconfig", paramLabel = "FILE", description = "Kubeconfig to read instead of KUBECONFIG.")
    String kubeconfig;

    @Option(names = "--all", description = "Also list contexts that are not agent contexts.")
    boolean all;

    @Mixin OutputFlags output;

    ContextsCommand(Context ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() {
        Kubeconfig config = Kubeconfig.load(ctx, kubeconfig);
        List<AgentContext> list = all ? config.contexts() : config.agentContexts();
        var json = new ArrayList<Map<String, Object>>();
        var text = new StringBuilder();
        String format = "%-40s %-24s %-8s %s%n";
        text.append(String.format(format, "CONTEXT", "AGENT", "ID", "SERVER"));
        for (AgentContext c : list) {
            var m = new LinkedHashMap<String, Object>();
            m.put("name", c.name());
            m.put("project", c.projectPath());
            m.put("agent", c.agentName());
            m.put("agentId", c.agentId());
            m.put("server", c.server());
            m.put("namespace", c.namespace());
            m.put("current", c.name().equals(config.currentContext()));
            json.add(m);
            text.append(String.format(format, c.name(), c.agentName() == null ? "-" : c.agentName(), c.agentId() == null ? "-" : c.agentId(),
                    c.server()));
        }
        if (list.isEmpty()) {
            ctx.err().println("no " + (all ? "" : "agent ") + "contexts in " + config.source()
                    + (all ? "" : " (the job's project must be in an agent's ci_access for GitLab to inject one)"));
        }
        output.emit(ctx, text.toString().stripTrailing(), json, null);
        return 0;
    }
}
