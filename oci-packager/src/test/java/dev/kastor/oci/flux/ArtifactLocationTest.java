package dev.kastor.oci.flux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kastor.oci.InvalidInputException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ArtifactLocationTest {
    private final Path work = Path.of("/builds/group/app");

    @Test
    void layoutLocationResolvesAgainstTheWorkingDirectory() {
        assertThat(ArtifactLocation.parse("oci-layout:build/oci:v1", work))
                .isEqualTo(new ArtifactLocation.InLayout(Path.of("/builds/group/app/build/oci"), "v1"));
    }

    @Test
    void registryLocationKeepsTheReference() {
        var location = ArtifactLocation.parse("oci://registry.example.com:5050/group/app/manifests:main", work);

        assertThat(location).isInstanceOf(ArtifactLocation.InRegistry.class);
        assertThat(location.toString()).isEqualTo("oci://registry.example.com:5050/group/app/manifests:main");
    }

    @Test
    void layoutWithoutTagIsRefusedWithAnExample() {
        assertThatThrownBy(() -> ArtifactLocation.parse("oci-layout:build/oci", work))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("oci-layout:DIR:TAG");
    }

    @Test
    void bareRegistryPathIsRefusedNamingBothForms() {
        assertThatThrownBy(() -> ArtifactLocation.parse("registry.example.com/app:1", work))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("oci://").hasMessageContaining("oci-layout:");
    }
}
