package dev.kastor.steps.flux;

import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "flux", description = {
        "Wait for Flux to reconcile exactly the pushed artifact digest.", "",
        "Through the GitLab agent tunnel, with nothing but the Kubernetes API.", ""},
        subcommands = {WaitCommand.class, ReconcileCommand.class})
public final class FluxCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing verb: wait or reconcile");
    }
}
