package dev.kastor.steps.image;

/**
 * jib refuses to send credentials over plain HTTP unless its {@code sendCredentialsOverHttp} system property is set.
 * With {@code --insecure-registry} the user asked for plain HTTP to a local registry, so the property is set for the
 * duration of one build and restored afterwards. It is process-wide: builds run one at a time in a kastor process.
 */
final class InsecureHttp implements AutoCloseable {
    static final String PROPERTY = "sendCredentialsOverHttp";
    private final boolean set;
    private final String previous;

    private InsecureHttp(boolean set) {
        this.set = set;
        this.previous = System.getProperty(PROPERTY);
        if (set) System.setProperty(PROPERTY, "true");
    }

    static InsecureHttp allow(boolean insecure) {
        return new InsecureHttp(insecure);
    }

    @Override
    public void close() {
        if (!set) return;
        if (previous == null) System.clearProperty(PROPERTY);
        else System.setProperty(PROPERTY, previous);
    }
}
