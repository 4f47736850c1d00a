package dev.kastor.steps.kube;

import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "kube", description = {
        "Deploy through the GitLab agent tunnel, with nothing but the Kubernetes API.", "",
        "Push-based, through the context the job was given (the KUBECONFIG GitLab injects, or Kastor's KAS).",
        "Pick the agent with --agent PATH:NAME or KASTOR_AGENT.", ""},
        subcommands = {ContextsCommand.class, ApplyCommand.class, DiffCommand.class, HistoryCommand.class, RollbackCommand.class, KubeconfigCommand.class, TokenCommand.class})
public final class KubeCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing verb: contexts, apply, diff, history, rollback, kubeconfig or token");
    }
}
