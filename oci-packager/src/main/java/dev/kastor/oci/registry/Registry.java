package dev.kastor.oci.registry;

import dev.kastor.oci.Descriptor;
import dev.kastor.oci.Digest;
import dev.kastor.oci.InvalidInputException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One registry host and the verbs Kastor needs on it. Every verb is a step class doing one thing; this facade only
 * validates names and wires transport and retry policy. Thread-safe: steps share nothing mutable.
 */
public final class Registry {
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,127}");

    private final Transport transport;
    private final Retry retry;

    private Registry(String host, RegistryOptions options) {
        new Reference(host, "library", null, null); // validates the host with the reference grammar
        this.transport = new Transport(host, options);
        this.retry = new Retry(options.retry(), host, options.notices());
    }

    /** @param host registry host with port, as in {@link Reference#host()} */
    public static Registry connect(String host, RegistryOptions options) {
        return new Registry(host, options);
    }

    public static Registry connect(Reference reference, RegistryOptions options) {
        return new Registry(reference.host(), options);
    }

    public String host() {
        return transport.host();
    }

    public boolean blobExists(String repository, Digest digest) {
        repo(repository);
        var op = Transport.Op.pull(repository);
        return retry.call("checking blob " + digest.shortForm() + " in " + repository, () -> {
            var r = transport.head(op, transport.resolve("/v2/" + repository + "/blobs/" + digest), Map.of());
            return transport.expect(op, "blob " + digest, r, 200, 404).status() == 200;
        });
    }

    /**
     * Uploads a blob from a file (streamed, chunked above the chunk size) unless the repository has it, or mounts it
     * from {@code mountFrom} (another repository on this registry; {@code null} for none).
     */
    public BlobPushOutcome pushBlob(String repository, Descriptor descriptor, Path content, String mountFrom) {
        repo(repository);
        if (mountFrom != null) {
            repo(mountFrom);
        }
        return new PushBlobStep(transport, retry, repository, descriptor, BlobSource.of(content), mountFrom).call();
    }

    /** Uploads a small blob held in memory (a config). */
    public BlobPushOutcome pushBlob(String repository, Descriptor descriptor, byte[] content) {
        repo(repository);
        return new PushBlobStep(transport, retry, repository, descriptor, BlobSource.of(content.clone()), null).call();
    }

    /** PUTs a manifest; returns the sha256 of exactly these bytes. Push its blobs first. */
    public Digest pushManifest(String repository, String tagOrDigest, byte[] manifestJson, String mediaType) {
        repo(repository);
        ref(tagOrDigest);
        return new PushManifestStep(transport, retry, repository, tagOrDigest, manifestJson, mediaType).call();
    }

    public Manifest getManifest(String repository, String tagOrDigest) {
        repo(repository);
        ref(tagOrDigest);
        return new GetManifestStep(transport, retry, repository, tagOrDigest).call();
    }

    /**
     * Streams the blob a descriptor names into {@code sink} as it arrives (see {@link BlobSink}: the stream ends only
     * after its size and digest were verified), reading no more than the descriptor's size; returns what the sink
     * returned. The sink is called again with a fresh stream when a broken download is retried.
     */
    public <T> T fetchBlob(String repository, Descriptor blob, BlobSink<T> sink) {
        repo(repository);
        return new FetchBlobStep<>(transport, retry, repository, blob, sink).call();
    }

    public List<String> listTags(String repository) {
        repo(repository);
        return new ListTagsStep(transport, retry, repository).call();
    }

    /** Adds tags to the manifest with this digest, without any blob traffic. */
    public Digest tag(String repository, Digest manifestDigest, List<String> tags) {
        repo(repository);
        tags.forEach(Registry::ref);
        return new TagStep(transport, retry, repository, manifestDigest, tags).call();
    }

    /** Adds tags to what {@code tagOrDigest} names, resolving a tag to its manifest digest first; returns that digest. */
    public Digest retag(String repository, String tagOrDigest, List<String> tags) {
        Digest digest = Digest.looksLikeDigest(tagOrDigest) ? Digest.parse(tagOrDigest) : getManifest(repository, tagOrDigest).digest();
        return tag(repository, digest, tags);
    }

    private void repo(String repository) {
        new Reference(transport.host(), repository, null, null);
    }

    private static void ref(String tagOrDigest) {
        if (tagOrDigest == null || !(Digest.looksLikeDigest(tagOrDigest) || TAG.matcher(tagOrDigest).matches())) {
            throw new InvalidInputException("'" + tagOrDigest + "' is neither a tag (up to 128 letters, digits, '_', '.', '-')"
                    + " nor a digest (sha256:<64 hex>)");
        }
    }
}
