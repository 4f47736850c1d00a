package dev.kastor.steps.artifact;

import dev.kastor.oci.Digest;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The dotenv variables that name one artifact for the next job ({@code flux wait}, {@code kube apply}), the same from
 * {@code artifact push} and {@code artifact list}: KASTOR_ARTIFACT_URL, KASTOR_ARTIFACT_DIGEST, KASTOR_ARTIFACT_REVISION.
 */
final class ArtifactVariables {
    private ArtifactVariables() {}

    static Map<String, String> of(String url, Digest digest, String revision) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("KASTOR_ARTIFACT_URL", url);
        env.put("KASTOR_ARTIFACT_DIGEST", digest.toString());
        env.put("KASTOR_ARTIFACT_REVISION", revision == null ? "" : revision);
        return env;
    }
}
