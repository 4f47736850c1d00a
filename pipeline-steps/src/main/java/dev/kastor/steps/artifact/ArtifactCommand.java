package dev.kastor.steps.artifact;

import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "artifact", description = {
        "Package Kubernetes manifests as Flux OCI artifacts and move them to and from registries.", "",
        "Targets: oci://HOST/REPO:TAG (a registry) or oci-layout:DIR:TAG (an OCI image layout directory).",
        "Credentials: --creds, CI_REGISTRY_USER/CI_REGISTRY_PASSWORD for CI_REGISTRY, DOCKER_AUTH_CONFIG, ~/.docker/config.json.", ""},
        subcommands = {BuildCommand.class, PushCommand.class, PullCommand.class, TagCommand.class, RollbackCommand.class, DiffCommand.class,
                ListCommand.class})
public final class ArtifactCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing verb: build, push, pull, tag, rollback, diff or list");
    }
}
