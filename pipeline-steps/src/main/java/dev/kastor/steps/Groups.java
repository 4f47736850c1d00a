package dev.kastor.steps;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Command groups whose verbs later releases fill. {@code --help} says what is planned; anything else is a usage
 * error (exit 2) naming the group, so a pipeline using a verb that does not exist yet fails loudly.
 */
final class Groups {
    private Groups() {}

    abstract static class Planned implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @CommandLine.Parameters(hidden = true)
        java.util.List<String> verb = new java.util.ArrayList<>();

        @Override
        public void run() {
            String asked = verb.isEmpty() ? spec.qualifiedName() : spec.qualifiedName() + " " + verb.get(0);
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "'" + asked + "' is not available in this version yet; see " + spec.qualifiedName() + " --help for what is planned");
        }
    }

    @Command(name = "image", description = {"Container images without a Docker daemon (jib-core).", "",
            "Planned: build (layers, Java app, platforms; to a registry, OCI layout or tar), tag."})
    static final class Image extends Planned {}
}
