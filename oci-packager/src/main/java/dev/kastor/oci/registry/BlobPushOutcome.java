package dev.kastor.oci.registry;

/** What a blob push did; reported so a re-push can show that nothing was uploaded. */
public enum BlobPushOutcome {
    /** The bytes were sent and the registry confirmed the digest (201). */
    UPLOADED,
    /** The registry already had the blob in this repository (HEAD 200): nothing was sent. */
    EXISTED,
    /** The registry linked the blob from another repository on the same registry: nothing was sent. */
    MOUNTED
}
