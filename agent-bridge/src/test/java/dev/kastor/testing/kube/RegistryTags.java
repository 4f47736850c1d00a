package dev.kastor.testing.kube;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;

/**
 * Tags of a plain-HTTP registry (the test registry) read and written with the JDK HttpClient and the JDK's SHA-256
 * only, after the OCI distribution spec: other people's code, so a test cannot agree with Kastor merely because it
 * shares Kastor's bugs. {@link #digest} is the lookup to give {@link FluxControllersStandIn}.
 */
public final class RegistryTags {
    private static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    private static final String FLUX_CONFIG = "application/vnd.cncf.flux.config.v1+json";
    private static final String FLUX_CONTENT = "application/vnd.cncf.flux.content.v1.tar+gzip";
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    private RegistryTags() {}

    /**
     * The manifest digest a tag points to now, or null when the tag or repository is unknown: the digest computed
     * over the manifest bytes (not taken from the registry's header). {@code repositoryUrl} is {@code oci://host/repo}.
     */
    public static String digest(String repositoryUrl, String tag) throws IOException, InterruptedException {
        var request = HttpRequest.newBuilder(v2(repositoryUrl, "/manifests/" + tag)).header("Accept", OCI_MANIFEST).build();
        var response = HTTP.send(request, HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() == 404) return null;
        check(request, response, 200);
        return sha256(response.body());
    }

    /**
     * Pushes a Flux-shaped artifact (config {@code {}}, one layer of {@code layer} bytes: the registry does not look
     * inside) under {@code tag}, blobs first, manifest last; returns the manifest's digest.
     */
    public static String push(String repositoryUrl, String tag, byte[] layer) throws IOException, InterruptedException {
        return pushManifest(repositoryUrl, tag, pushBlobs(repositoryUrl, layer));
    }

    /**
     * The first half of {@link #push}: pushes the blobs of a Flux-shaped artifact with one layer of {@code layer}
     * bytes, and returns the manifest that refers to them (not pushed yet).
     */
    public static byte[] pushBlobs(String repositoryUrl, byte[] layer) throws IOException, InterruptedException {
        byte[] config = "{}".getBytes(StandardCharsets.UTF_8);
        pushBlob(repositoryUrl, config);
        pushBlob(repositoryUrl, layer);
        return ("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":" + descriptor(FLUX_CONFIG, config)
                + ",\"layers\":[" + descriptor(FLUX_CONTENT, layer) + "]}").getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The second half of {@link #push}: one PUT of {@code manifest} (from {@link #pushBlobs}) under {@code tag}, the
     * request that makes a registry announce the push; returns the manifest's digest.
     */
    public static String pushManifest(String repositoryUrl, String tag, byte[] manifest) throws IOException, InterruptedException {
        var put = HttpRequest.newBuilder(v2(repositoryUrl, "/manifests/" + tag)).header("Content-Type", OCI_MANIFEST)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(manifest)).build();
        check(put, HTTP.send(put, HttpResponse.BodyHandlers.ofByteArray()), 201);
        return sha256(manifest);
    }

    private static String sha256(byte[] bytes) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A blob in two requests (POST opens the upload, PUT with the digest completes it), as the spec's monolithic upload. */
    private static void pushBlob(String repositoryUrl, byte[] blob) throws IOException, InterruptedException {
        var open = HttpRequest.newBuilder(v2(repositoryUrl, "/blobs/uploads/")).POST(HttpRequest.BodyPublishers.noBody()).build();
        var opened = HTTP.send(open, HttpResponse.BodyHandlers.ofByteArray());
        check(open, opened, 202);
        URI location = open.uri().resolve(opened.headers().firstValue("Location").orElseThrow());
        String separator = location.getRawQuery() == null ? "?" : "&";
        var put = HttpRequest.newBuilder(URI.create(location + separator + "digest=" + sha256(blob)))
                .header("Content-Type", "application/octet-stream").PUT(HttpRequest.BodyPublishers.ofByteArray(blob)).build();
        check(put, HTTP.send(put, HttpResponse.BodyHandlers.ofByteArray()), 201);
    }

    private static String descriptor(String mediaType, byte[] blob) {
        return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + sha256(blob) + "\",\"size\":" + blob.length + "}";
    }

    private static URI v2(String repositoryUrl, String rest) {
        String hostRepo = repositoryUrl.replaceFirst("^oci://", "");
        int slash = hostRepo.indexOf('/');
        return URI.create("http://" + hostRepo.substring(0, slash) + "/v2/" + hostRepo.substring(slash + 1) + rest);
    }

    private static void check(HttpRequest request, HttpResponse<byte[]> response, int expected) throws IOException {
        if (response.statusCode() != expected) {
            throw new IOException(request.method() + " " + request.uri() + ": " + response.statusCode() + " " + new String(response.body(), StandardCharsets.UTF_8));
        }
    }
}
