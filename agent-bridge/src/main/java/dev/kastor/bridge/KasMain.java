package dev.kastor.bridge;

/** Entry point of {@code kastor-kas}, the agent server. Its modules arrive with issue 4. */
public final class KasMain {
    private KasMain() {}

    public static void main(String[] args) {
        System.exit(Launch.run("kastor-kas", args));
    }
}
