package dev.kastor.steps.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kastor.oci.InvalidInputException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ImageRefTest {
    private static final String DIGEST = "sha256:" + "ab".repeat(32);

    @Test
    void gitlabRegistryImageWithPortAndTagParses() {
        ImageRef r = ImageRef.parse("registry.gitlab.example.com:5050/group/sub/project:0123abc");

        assertThat(r.host()).isEqualTo("registry.gitlab.example.com:5050");
        assertThat(r.repository()).isEqualTo("group/sub/project");
        assertThat(r.tag()).isEqualTo("0123abc");
        assertThat(r.toString()).isEqualTo("registry.gitlab.example.com:5050/group/sub/project:0123abc");
    }

    @Test
    void nameWithoutHostIsOnDockerHubUnderLibrary() {
        assertThat(ImageRef.parse("eclipse-temurin:21-jre").name()).isEqualTo("registry-1.docker.io/library/eclipse-temurin");
        assertThat(ImageRef.parse("docker.io/bitnami/kubectl:1.32").name()).isEqualTo("registry-1.docker.io/bitnami/kubectl");
        assertThat(ImageRef.parse("localhost/app:1").host()).isEqualTo("localhost");
    }

    @Test
    void digestAndTagTogetherAreKept() {
        ImageRef r = ImageRef.parse("127.0.0.1:5000/app:v1@" + DIGEST);

        assertThat(r.tag()).isEqualTo("v1");
        assertThat(r.digest().toString()).isEqualTo(DIGEST);
    }

    @Test
    void ociPrefixIsAcceptedSchemesAreNot() {
        assertThat(ImageRef.parse("oci://127.0.0.1:5000/app:v1").name()).isEqualTo("127.0.0.1:5000/app");
        assertThatThrownBy(() -> ImageRef.parse("https://registry.example.com/app:v1")).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("without a scheme");
    }

    @Test
    void uppercaseRepositoryAndBadDigestAreRefusedWithTheReason() {
        assertThatThrownBy(() -> ImageRef.parse("registry.example.com/Group/App:v1")).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("Group/App");
        assertThatThrownBy(() -> ImageRef.parse("registry.example.com/app@sha256:abc")).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("malformed digest");
    }

    @Test
    void locationsParseByPrefix() {
        Path wd = Path.of("/work");
        assertThat(ImageLocation.parse("scratch", wd, true)).isInstanceOf(ImageLocation.Scratch.class);
        assertThat(ImageLocation.parse("oci-layout:build/oci:app", wd, false))
                .isEqualTo(new ImageLocation.OciLayoutDir(Path.of("/work/build/oci"), "app"));
        assertThat(ImageLocation.parse("tar:out/app.tar", wd, false)).isEqualTo(new ImageLocation.TarFile(Path.of("/work/out/app.tar")));
        assertThatThrownBy(() -> ImageLocation.parse("scratch", wd, false)).hasMessageContaining("not a target");
    }

    @Test
    void layerSpecsTakeAnOptionalOctalMode() {
        Path wd = Path.of("/work");
        assertThat(LayerSpec.parse("bin/run:/usr/local/bin/run:755", wd)).isEqualTo(new LayerSpec("bin/run", Path.of("/work/bin/run"), "/usr/local/bin/run", "755"));
        assertThat(LayerSpec.parse("site:/srv", wd).mode()).isNull();
        assertThatThrownBy(() -> LayerSpec.parse("site", wd)).hasMessageContaining("SRC:DEST");
        assertThatThrownBy(() -> LayerSpec.parse("site:srv", wd)).hasMessageContaining("not absolute");
    }

    @Test
    void anEmptyDigestAfterTheAtIsAUsageErrorSayingWhereTheDigestUsuallyComesFrom() {
        assertThatThrownBy(() -> ImageRef.parse("registry.example.com/group/app@"))
                .isInstanceOf(dev.kastor.oci.UsageException.class)
                .hasMessageContaining("empty digest after '@'").hasMessageContaining("KASTOR_IMAGE_DIGEST")
                .hasMessageNotContaining("malformed");
    }
}
