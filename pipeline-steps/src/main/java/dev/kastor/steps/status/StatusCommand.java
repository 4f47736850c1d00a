package dev.kastor.steps.status;

import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "status", description = {"Report deployments as GitLab commit statuses (external jobs in the pipeline).", "",
        "Needs a token with the api scope in KASTOR_GITLAB_TOKEN (or --token-file): CI_JOB_TOKEN cannot post commit statuses.",
        "kastor flux wait --report posts them while it waits; 'status set' posts one by hand.", ""},
        subcommands = {SetCommand.class})
public final class StatusCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing verb: set");
    }
}
