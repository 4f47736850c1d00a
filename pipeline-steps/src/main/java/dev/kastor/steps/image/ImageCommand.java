package dev.kastor.steps.image;

import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "image", description = {
        "Build and tag container images without a Docker daemon (jib-core).", "",
        "Locations: host/repo:tag or host/repo@sha256:... (a registry; $CI_REGISTRY_IMAGE works as is), oci-layout:DIR[:TAG],",
        "tar:FILE, and for a base only, scratch.",
        "Credentials: --creds, CI_REGISTRY_USER/CI_REGISTRY_PASSWORD for CI_REGISTRY, DOCKER_AUTH_CONFIG, ~/.docker/config.json.", ""},
        subcommands = {BuildCommand.class, TagCommand.class})
public final class ImageCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing verb: build or tag");
    }
}
