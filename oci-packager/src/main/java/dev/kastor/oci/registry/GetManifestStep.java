package dev.kastor.oci.registry;

import dev.kastor.oci.Digest;
import dev.kastor.oci.MediaTypes;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/** GETs a manifest by tag or digest and checks that what arrived is what the registry says it is. */
public final class GetManifestStep {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Transport transport;
    private final Retry retry;
    private final String repository;
    private final String tagOrDigest;
    private final Transport.Op op;

    GetManifestStep(Transport transport, Retry retry, String repository, String tagOrDigest) {
        this.transport = transport;
        this.retry = retry;
        this.repository = repository;
        this.tagOrDigest = tagOrDigest;
        this.op = Transport.Op.pull(repository);
    }

    public Manifest call() {
        return retry.call("the fetch of manifest " + repository + ":" + tagOrDigest, this::attempt);
    }

    private Manifest attempt() {
        var uri = transport.resolve("/v2/" + repository + "/manifests/" + tagOrDigest);
        // The real registry answers 404 to a manifest GET that does not accept the manifest's media type.
        var r = transport.expect(op, "manifest " + tagOrDigest, transport.get(op, uri, Map.of("Accept", MediaTypes.MANIFEST_ACCEPT)), 200);
        byte[] bytes = r.body();
        Digest digest = Digest.of(bytes);
        String claimed = r.header("Docker-Content-Digest");
        if (Digest.looksLikeDigest(tagOrDigest) && !tagOrDigest.equals(digest.toString())
                || claimed != null && Digest.looksLikeDigest(claimed) && !claimed.equals(digest.toString())) {
            throw new RegistryException("registry " + transport.host() + " sent a manifest for " + repository + ":" + tagOrDigest
                    + " whose digest is " + digest + " but it should be "
                    + (Digest.looksLikeDigest(tagOrDigest) ? tagOrDigest : claimed) + ": corrupt content or a proxy rewriting it", 200);
        }
        return new Manifest(bytes, mediaType(r.header("Content-Type"), bytes), digest);
    }

    private static String mediaType(String contentType, byte[] bytes) {
        if (contentType != null && !contentType.isBlank()) {
            int semicolon = contentType.indexOf(';');
            String type = (semicolon >= 0 ? contentType.substring(0, semicolon) : contentType).trim();
            if (!type.equals("application/json") && !type.equals("text/plain")) {
                return type;
            }
        }
        try {
            String declared = JSON.readTree(bytes).path("mediaType").asString("");
            return declared.isEmpty() ? MediaTypes.OCI_MANIFEST : declared;
        } catch (RuntimeException notJson) {
            return MediaTypes.OCI_MANIFEST;
        }
    }
}
