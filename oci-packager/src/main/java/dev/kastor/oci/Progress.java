package dev.kastor.oci;

/**
 * Where long transfers report how far they are. The CLI renders it (a progress line in CI logs); tests and
 * library callers pass {@link #NONE}.
 */
public interface Progress {
    Progress NONE = (label, totalBytes) -> Transfer.NONE;

    /** Starts reporting one transfer of {@code totalBytes} (may be -1 when unknown). */
    Transfer begin(String label, long totalBytes);

    /** One transfer in progress. {@link #add} may be called from any thread. */
    interface Transfer extends AutoCloseable {
        Transfer NONE = new Transfer() {
            @Override
            public void add(long bytes) {}

            @Override
            public void close() {}
        };

        void add(long bytes);

        /** Called on success and on failure; a failed transfer may be begun again by a retry. */
        @Override
        void close();
    }
}
