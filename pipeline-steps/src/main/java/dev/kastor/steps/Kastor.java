package dev.kastor.steps;

import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "kastor", mixinStandardHelpOptions = true, description = "Deliver from a GitLab pipeline to Kubernetes.")
public final class Kastor implements Runnable {
    public static void main(String[] args) {
        System.exit(new CommandLine(new Kastor()).execute(args));
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
