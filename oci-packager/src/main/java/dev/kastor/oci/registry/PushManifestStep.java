package dev.kastor.oci.registry;

import dev.kastor.oci.Digest;
import dev.kastor.oci.InvalidInputException;
import java.util.Locale;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/**
 * PUTs a manifest under a tag or its digest and returns the digest of the exact bytes sent. Callers push the
 * blobs first: this is the step that makes an artifact visible.
 */
public final class PushManifestStep {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Transport transport;
    private final Retry retry;
    private final String repository;
    private final String tagOrDigest;
    private final byte[] manifest;
    private final String mediaType;
    private final Transport.Op op;

    PushManifestStep(Transport transport, Retry retry, String repository, String tagOrDigest, byte[] manifest, String mediaType) {
        this.transport = transport;
        this.retry = retry;
        this.repository = repository;
        this.tagOrDigest = tagOrDigest;
        this.manifest = manifest.clone();
        this.mediaType = mediaType;
        this.op = Transport.Op.push(repository);
    }

    public Digest call() {
        Digest digest = Digest.of(manifest);
        if (Digest.looksLikeDigest(tagOrDigest) && !tagOrDigest.equals(digest.toString())) {
            throw new InvalidInputException("cannot push a manifest whose digest is " + digest + " under digest " + tagOrDigest);
        }
        return retry.call("the push of manifest " + repository + ":" + tagOrDigest, () -> attempt(digest));
    }

    private Digest attempt(Digest digest) {
        var uri = transport.resolve("/v2/" + repository + "/manifests/" + tagOrDigest);
        var r = transport.put(op, uri, manifest, Map.of("Content-Type", mediaType));
        if (r.status() == 400 || r.status() == 415) {
            throw refusal(r);
        }
        transport.expect(op, "manifest " + tagOrDigest, r, 201, 200);
        String confirmed = r.header("Docker-Content-Digest");
        if (confirmed != null && !confirmed.equals(digest.toString())) {
            throw new RegistryException("registry " + transport.host() + " stored the manifest for " + repository + ":"
                    + tagOrDigest + " under digest " + confirmed + " instead of " + digest
                    + ": it rewrote the manifest, which breaks digest pinning (Flux verifies digests)", r.status());
        }
        return digest;
    }

    private RegistryException refusal(Transport.Response r) {
        String detail = Transport.errorDetail(r.body());
        String prefix = "registry " + transport.host() + " refused push to " + repository + ": " + r.status()
                + Transport.statusText(r.status()) + detail;
        if (detail.contains("BLOB_UNKNOWN")) {
            return new RegistryException.Refused(prefix + "; the manifest references a blob the repository does not have:"
                    + " push the config and layer blobs before the manifest", r.status());
        }
        if (r.status() == 415 || detail.contains("MANIFEST_INVALID") || detail.contains("UNSUPPORTED")
                || detail.toLowerCase(Locale.ROOT).contains("media type")) {
            return new RegistryException.Refused(prefix + "; the registry does not accept the manifest media type " + mediaType
                    + configMediaType() + ": use a registry that supports OCI artifacts (CNCF distribution >= 2.7,"
                    + " Harbor >= 2.0, GitLab container registry)", r.status());
        }
        return new RegistryException.Refused(prefix, r.status());
    }

    private String configMediaType() {
        try {
            String config = JSON.readTree(manifest).path("config").path("mediaType").asString("");
            return config.isEmpty() ? "" : " or the config media type " + config;
        } catch (RuntimeException notJson) {
            return "";
        }
    }
}
