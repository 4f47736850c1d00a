package dev.kastor.oci;

/** Media types of OCI manifests and of the Flux artifact format (fluxcd/pkg/oci). */
public final class MediaTypes {
    public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    public static final String DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    public static final String FLUX_CONFIG = "application/vnd.cncf.flux.config.v1+json";
    public static final String FLUX_CONTENT = "application/vnd.cncf.flux.content.v1.tar+gzip";
    public static final String OCI_LAYER_TAR_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";

    /** What a manifest GET must accept: the real registry answers 404 to {@code *}{@code /*} for OCI manifests. */
    public static final String MANIFEST_ACCEPT = String.join(", ", OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST);

    private MediaTypes() {}
}
