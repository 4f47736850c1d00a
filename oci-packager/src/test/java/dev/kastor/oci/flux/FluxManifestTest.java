package dev.kastor.oci.flux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kastor.oci.Descriptor;
import dev.kastor.oci.Digest;
import dev.kastor.oci.InvalidInputException;
import dev.kastor.oci.MediaTypes;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FluxManifestTest {
    private static final Descriptor LAYER = new Descriptor(MediaTypes.FLUX_CONTENT, Digest.of("layer".getBytes()), 5);

    @Test
    void manifestHasFluxMediaTypesAndEmptyJsonConfig() {
        var manifest = FluxManifest.of(LAYER, ArtifactMetadata.builder().reproducible(true).build());
        String json = new String(manifest.toJson(), StandardCharsets.UTF_8);

        assertThat(json).startsWith("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":"
                + "{\"mediaType\":\"application/vnd.cncf.flux.config.v1+json\",\"digest\":\"" + Digest.of("{}".getBytes()) + "\",\"size\":2}");
        assertThat(json).contains("\"layers\":[{\"mediaType\":\"application/vnd.cncf.flux.content.v1.tar+gzip\"");
        assertThat(manifest.isFlux()).isTrue();
    }

    @Test
    void annotationOrderDoesNotChangeTheBytes() {
        var a = ArtifactMetadata.builder().reproducible(true).annotation("b=2").annotation("a=1").build();
        var b = ArtifactMetadata.builder().reproducible(true).annotation("a=1").annotation("b=2").build();

        assertThat(FluxManifest.of(LAYER, a).toJson()).isEqualTo(FluxManifest.of(LAYER, b).toJson());
    }

    @Test
    void parsesWhatItWrites() {
        var meta = ArtifactMetadata.builder().reproducible(true).revision("main@sha1:0123456789abcdef0123456789abcdef01234567").build();
        var manifest = FluxManifest.of(LAYER, meta);

        var parsed = FluxManifest.parse(manifest.toJson(), "test");

        assertThat(parsed).isEqualTo(manifest);
        assertThat(parsed.annotations()).containsEntry(ArtifactMetadata.REVISION, meta.revision());
    }

    @Test
    void anIndexIsNotAnImageManifest() {
        byte[] index = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":[]}").getBytes();

        assertThatThrownBy(() -> FluxManifest.parse(index, "oci://r/x:1")).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("oci://r/x:1").hasMessageContaining(MediaTypes.OCI_INDEX);
    }

    @Test
    void foreignLayerMediaTypeIsNotFlux() {
        var other = new FluxManifest(new Descriptor(MediaTypes.FLUX_CONFIG, Digest.of(new byte[0]), 0),
                java.util.List.of(new Descriptor(MediaTypes.OCI_LAYER_TAR_GZIP, LAYER.digest(), 5)), Map.of());

        assertThat(other.isFlux()).isFalse();
    }
}
