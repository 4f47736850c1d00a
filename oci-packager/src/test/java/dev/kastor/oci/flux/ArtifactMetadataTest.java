package dev.kastor.oci.flux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kastor.oci.InvalidInputException;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ArtifactMetadataTest {
    private static final String SHA = "0123456789abcdef0123456789abcdef01234567";

    @Test
    void gitLabCiVariablesGiveSourceAndFullRevision() {
        var meta = ArtifactMetadata.builder()
                .env(Map.of("CI_PROJECT_URL", "https://gitlab.example.com/group/app", "CI_COMMIT_REF_NAME", "main", "CI_COMMIT_SHA", SHA))
                .now(Instant.parse("2026-11-24T07:22:34.789Z"))
                .build();

        assertThat(meta.annotations()).containsExactly(
                Map.entry(ArtifactMetadata.CREATED, "2026-11-24T07:22:34Z"),
                Map.entry(ArtifactMetadata.REVISION, "main@sha1:" + SHA),
                Map.entry(ArtifactMetadata.SOURCE, "https://gitlab.example.com/group/app"));
    }

    @Test
    void flagsWinOverCiVariables() {
        var meta = ArtifactMetadata.builder()
                .env(Map.of("CI_PROJECT_URL", "https://ci/x", "CI_COMMIT_SHA", SHA))
                .source("https://elsewhere/y").revision("v1.2.3").build();

        assertThat(meta.source()).isEqualTo("https://elsewhere/y");
        assertThat(meta.revision()).isEqualTo("v1.2.3");
    }

    @Test
    void shortCommitShaFromCiIsRefusedNamingTheFullForm() {
        var builder = ArtifactMetadata.builder().env(Map.of("CI_COMMIT_SHA", "0123abcd"));

        assertThatThrownBy(builder::build).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("CI_COMMIT_SHA='0123abcd'").hasMessageContaining("40-character");
    }

    @Test
    void shortShaInAnExplicitRevisionIsRefused() {
        var builder = ArtifactMetadata.builder().revision("main@sha1:0123abcd");

        assertThatThrownBy(builder::build).isInstanceOf(InvalidInputException.class).hasMessageContaining("$CI_COMMIT_SHA");
    }

    @Test
    void reproducibleCreatedIsSourceDateEpochOrTheEpoch() {
        assertThat(ArtifactMetadata.builder().reproducible(true).env(Map.of("SOURCE_DATE_EPOCH", "1700000000")).build().annotations())
                .containsEntry(ArtifactMetadata.CREATED, "2023-11-14T22:13:20Z");
        assertThat(ArtifactMetadata.builder().reproducible(true).build().annotations())
                .containsEntry(ArtifactMetadata.CREATED, "1970-01-01T00:00:00Z");
    }

    @Test
    void malformedSourceDateEpochIsRefused() {
        var builder = ArtifactMetadata.builder().reproducible(true).env(Map.of("SOURCE_DATE_EPOCH", "yesterday"));

        assertThatThrownBy(builder::build).isInstanceOf(InvalidInputException.class).hasMessageContaining("SOURCE_DATE_EPOCH");
    }

    @Test
    void extraAnnotationsNeedKeyAndValue() {
        assertThat(ArtifactMetadata.builder().annotation("team=payments").annotation("empty=").build().annotations())
                .containsEntry("team", "payments").containsEntry("empty", "");
        assertThatThrownBy(() -> ArtifactMetadata.builder().annotation("=x")).isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> ArtifactMetadata.builder().annotation("novalue")).isInstanceOf(InvalidInputException.class);
    }
}
