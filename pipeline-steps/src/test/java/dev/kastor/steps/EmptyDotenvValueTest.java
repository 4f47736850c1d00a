package dev.kastor.steps;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A job without the packaging job's dotenv report runs {@code --digest $KASTOR_ARTIFACT_DIGEST} with the variable
 * empty: the shell drops the word, or passes an empty one. Every form is a usage error (exit 2) that says the value is
 * empty and where it usually comes from, never picocli's "Expected parameter ... but found ..." nor "malformed digest ''".
 * Each fails before any connection, so no registry or cluster is needed.
 */
class EmptyDotenvValueTest {
    @TempDir
    Path tmp;

    private static void assertSaysEmptyAndWhereItComesFrom(KastorRun.Result r, String what, String variable) {
        assertThat(r.exit()).as(r.toString()).isEqualTo(2);
        assertThat(r.out()).as(r.toString()).isEmpty();
        assertThat(r.errLines().get(0)).as(r.toString()).contains(what, "$" + variable, "kastor artifact push --dotenv artifact.env",
                "artifacts: reports: dotenv: artifact.env");
        assertThat(r.err()).as(r.toString()).doesNotContain("Expected parameter", "Missing required parameter", "malformed", "\tat ");
    }

    @ParameterizedTest(name = "flux wait {0}")
    @CsvSource(delimiter = '|', value = {
            "--digest --reconcile|--digest is empty (the word after it is the option '--reconcile')",
            "--reconcile --digest|--digest is empty (nothing follows it)",
            "--digest=|--digest is empty",
            "--source flux-system/app --digest=  --timeout 1s|--digest is empty"})
    void anOptionWhoseVariableWasEmptySaysSo(String args, String what) {
        var r = KastorRun.in(tmp).run(("flux wait " + args).split(" +"));
        assertSaysEmptyAndWhereItComesFrom(r, what, "KASTOR_ARTIFACT_DIGEST");
    }

    @Test
    void anEmptyWordAfterTheOptionSaysSo() {
        var digest = KastorRun.in(tmp).run("flux", "wait", "--digest", "", "--reconcile");
        var url = KastorRun.in(tmp).run("flux", "wait", "--digest", "sha256:" + "a".repeat(64), "--url", "");

        assertSaysEmptyAndWhereItComesFrom(digest, "--digest is empty", "KASTOR_ARTIFACT_DIGEST");
        assertSaysEmptyAndWhereItComesFrom(url, "--url is empty", "KASTOR_ARTIFACT_URL");
    }

    @Test
    void noDigestAtAllSaysWhereItUsuallyComesFrom() {
        var r = KastorRun.in(tmp).env("KASTOR_ARTIFACT_DIGEST", "").run("flux", "wait", "--reconcile");
        assertSaysEmptyAndWhereItComesFrom(r, "no digest to wait for", "KASTOR_ARTIFACT_DIGEST");
    }

    @Test
    void aReferenceEndingInAnEmptyDigestSaysSo() {
        var r = KastorRun.in(tmp).run("artifact", "tag", "oci://127.0.0.1:5000/app/manifests@", "--tag", "production", "--insecure-registry");
        assertSaysEmptyAndWhereItComesFrom(r, "'oci://127.0.0.1:5000/app/manifests@' has an empty digest after '@'", "KASTOR_ARTIFACT_DIGEST");
    }
}
