package dev.kastor.oci.registry;

import dev.kastor.oci.Digest;
import java.util.List;

/**
 * Gives an existing manifest more tags: fetches it by digest and PUTs the same bytes with the same media type under
 * each tag. No blob is touched, and the digest cannot change because the bytes do not.
 */
public final class TagStep {
    private final Transport transport;
    private final Retry retry;
    private final String repository;
    private final Digest manifestDigest;
    private final List<String> tags;

    TagStep(Transport transport, Retry retry, String repository, Digest manifestDigest, List<String> tags) {
        this.transport = transport;
        this.retry = retry;
        this.repository = repository;
        this.manifestDigest = manifestDigest;
        this.tags = List.copyOf(tags);
    }

    public Digest call() {
        Manifest manifest = new GetManifestStep(transport, retry, repository, manifestDigest.toString()).call();
        for (String tag : tags) {
            new PushManifestStep(transport, retry, repository, tag, manifest.bytes(), manifest.mediaType()).call();
        }
        return manifestDigest;
    }
}
