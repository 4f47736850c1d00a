package dev.kastor.oci.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kastor.oci.Digest;
import dev.kastor.oci.InvalidInputException;
import dev.kastor.oci.UsageException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ReferenceTest {
    private static final String HEX = "a".repeat(64);

    @Test
    void parsesHostWithPortRepositoryTagAndDigest() {
        var ref = Reference.parse("oci://127.0.0.1:5000/bars/app-manifests:v1.2@sha256:" + HEX);

        assertThat(ref.host()).isEqualTo("127.0.0.1:5000");
        assertThat(ref.repository()).isEqualTo("bars/app-manifests");
        assertThat(ref.tag()).isEqualTo("v1.2");
        assertThat(ref.digest()).isEqualTo(new Digest(HEX));
        assertThat(ref.tagOrDigest()).as("the digest wins for fetching").isEqualTo("sha256:" + HEX);
    }

    @ParameterizedTest
    @ValueSource(strings = {"oci://registry.gitlab.com/group/sub/project", "oci://localhost:5000/app:latest",
            "oci://ghcr.io/a/b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "oci://r.example.com/a__b/c-d.e:_x"})
    void printsBackWhatItParsed(String text) {
        assertThat(Reference.parse(text).toString()).isEqualTo(text);
    }

    @Test
    void anEmptyDigestAfterTheAtIsAUsageErrorSayingWhereTheDigestUsuallyComesFrom() {
        // oci://host/repo@$KASTOR_ARTIFACT_DIGEST in a job that did not get the packaging job's dotenv report.
        assertThatThrownBy(() -> Reference.parse("oci://r.example.com/app@")).isInstanceOf(UsageException.class)
                .hasMessageContaining("'oci://r.example.com/app@' has an empty digest after '@'")
                .hasMessageContaining("$KASTOR_ARTIFACT_DIGEST").hasMessageContaining("--dotenv artifact.env")
                .hasMessageContaining("artifacts: reports: dotenv:").hasMessageNotContaining("malformed");
    }

    @Test
    void withTagAndWithDigestReplaceOnlyThatPart() {
        var ref = Reference.parse("oci://r.example.com/app:v1");

        assertThat(ref.withTag("v2").toString()).isEqualTo("oci://r.example.com/app:v2");
        assertThat(ref.withDigest(new Digest(HEX)).tagOrDigest()).isEqualTo("sha256:" + HEX);
        assertThat(ref.withTag(null).tagOrDigest()).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"registry.example.com/app:v1", "oci://", "oci://registry.example.com", "oci://registry.example.com/",
            "oci://registry.example.com/App", "oci://registry.example.com/app:-bad", "oci://registry.example.com/app@sha256:abc",
            "oci://registry.example.com/a//b", "oci://bad_host/app", "oci://registry.example.com/app:v1 2"})
    void malformedReferencesAreInvalidInputWithAGoodExample(String text) {
        assertThatThrownBy(() -> Reference.parse(text))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("oci://");
    }

    @Test
    void missingPrefixSaysThePrefixIsRequired() {
        assertThatThrownBy(() -> Reference.parse("registry.example.com/app:v1"))
                .hasMessageContaining("must start with oci://");
    }

    @ParameterizedTest
    @ValueSource(strings = {"oci://deployer:s3cr3t-Pw@registry.example.com/bars/app:v1", "oci://deployer:s3cr3t-Pw@registry.example.com",
            "oci://deployer:s3cr3t-Pw@127.0.0.1:5000/bars/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "oci://deployer:s3/cr3t-Pw@registry.example.com/bars/app", "oci://s3cr3t-Pw@registry.example.com/bars/app"})
    void credentialsInAReferenceAreRefusedWithoutRepeatingThem(String text) {
        assertThatThrownBy(() -> Reference.parse(text))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("must not hold credentials")
                .hasMessageContaining("KASTOR_CREDS")
                .hasMessageContaining("CI_REGISTRY_USER")
                .hasMessageNotContaining("s3cr3t")
                .hasMessageNotContaining("cr3t-Pw")
                .hasMessageNotContaining("deployer");
    }
}
