package dev.kastor.bridge;

/** Entry point of {@code kastor-agent}, the in-cluster bridge that dials out to KAS. Its modules arrive with issue 4. */
public final class AgentMain {
    private AgentMain() {}

    public static void main(String[] args) {
        System.exit(Launch.run("kastor-agent", args));
    }
}
