package dev.kastor.steps;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.testing.RegistryWithFaultProxy;
import dev.kastor.testing.Skopeo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kastor artifact rollback} against a real registry: the tag Flux follows goes back to the artifact created
 * before the one it points at, as {@code artifact list} shows them.
 */
class ArtifactRollbackTest {
    private static final String SHA_A = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    private static final String SHA_B = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    private static final String SHA_C = "cccccccccccccccccccccccccccccccccccccccc";

    @RegisterExtension
    static final RegistryWithFaultProxy REGISTRY = new RegistryWithFaultProxy();

    @TempDir
    Path tmp;

    private String repo(String name) {
        return "oci://" + REGISTRY.server().host() + "/" + name;
    }

    /** Pushes a tree with {@code content} as {@code repo:tag}, created at {@code epochSeconds}; its digest. */
    private String push(String repo, String tag, String sha, long epochSeconds, String content) {
        Path dir = Artifacts.write(tmp.resolve("deploy-" + tag), Map.of("app.yaml", "kind: ConfigMap\ndata: {v: " + content + "}\n"));
        var r = KastorRun.in(tmp).env(Map.of("CI_COMMIT_REF_NAME", "main", "CI_COMMIT_SHA", sha, "SOURCE_DATE_EPOCH", String.valueOf(epochSeconds)))
                .run("artifact", "push", dir.toString(), repo(repo) + ":" + tag, "--insecure-registry", "--reproducible", "--output", "json");
        assertThat(r.exit()).as(r.toString()).isZero();
        return r.json().get("digest").asString();
    }

    private void tag(String repo, String digest, String tag) {
        var r = KastorRun.in(tmp).run("artifact", "tag", repo(repo) + "@" + digest, "--tag", tag, "--insecure-registry");
        assertThat(r.exit()).as(r.toString()).isZero();
    }

    private KastorRun.Result rollback(String... more) {
        var args = new ArrayList<>(List.of("artifact", "rollback"));
        args.addAll(List.of(more));
        args.add("--insecure-registry");
        return KastorRun.in(tmp).run(args.toArray(String[]::new));
    }

    private Map<String, String> tags(String repo) {
        var r = KastorRun.in(tmp).run("artifact", "list", repo(repo), "--insecure-registry", "--output", "json");
        assertThat(r.exit()).as(r.toString()).isZero();
        Map<String, String> digestByTag = new HashMap<>();
        r.json().forEach(row -> digestByTag.put(row.get("tag").asString(), row.get("digest").asString()));
        return digestByTag;
    }

    @Test
    void rollbackPointsTheTagAtTheArtifactCreatedBeforeItsCurrentOne() throws Exception {
        // Pushed out of order: "before" is by the created annotation, not by push order or tag name.
        String v1 = push("roll/app", "c1", SHA_A, 1_700_000_000L, "one");
        String v3 = push("roll/app", "c3", SHA_C, 1_700_000_300L, "three");
        String v2 = push("roll/app", "c2", SHA_B, 1_700_000_200L, "two");
        tag("roll/app", v3, "production");

        var r = rollback(repo("roll/app") + ":production", "--output", "json", "--dotenv", "rollback.env");

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.json().get("digest").asString()).isEqualTo(v2);
        assertThat(r.json().get("previousDigest").asString()).isEqualTo(v3);
        assertThat(r.json().get("revision").asString()).isEqualTo("main@sha1:" + SHA_B);
        assertThat(tags("roll/app")).containsEntry("production", v2).containsEntry("c1", v1).containsEntry("c3", v3);
        assertThat(Artifacts.sha256(Skopeo.inspectRaw(REGISTRY.server().host() + "/roll/app:production", null))).isEqualTo(v2);
        assertThat(Files.readAllLines(tmp.resolve("rollback.env"))).containsExactly(
                "KASTOR_ARTIFACT_URL=" + repo("roll/app") + ":production",
                "KASTOR_ARTIFACT_DIGEST=" + v2,
                "KASTOR_ARTIFACT_REVISION=main@sha1:" + SHA_B);

        var again = rollback(repo("roll/app") + ":production");
        assertThat(again.exit()).as(again.toString()).isZero();
        assertThat(again.out()).contains("rolled back " + repo("roll/app") + ":production from " + v2 + " to " + v1);
        assertThat(tags("roll/app")).containsEntry("production", v1);
    }

    @Test
    void rollbackToADigestPrefixPointsTheTagThere() {
        String v1 = push("to/app", "c1", SHA_A, 1_700_000_000L, "one");
        String v2 = push("to/app", "c2", SHA_B, 1_700_000_100L, "two");
        String v3 = push("to/app", "c3", SHA_C, 1_700_000_200L, "three");
        tag("to/app", v1, "production");

        var r = rollback(repo("to/app") + ":production", "--to", v3.substring(0, 19));

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(tags("to/app")).containsEntry("production", v3).containsEntry("c2", v2);
    }

    @Test
    void withNothingCreatedEarlierTheTagStaysWhereItIs() {
        String v1 = push("first/app", "c1", SHA_A, 1_700_000_000L, "one");
        push("first/app", "c2", SHA_B, 1_700_000_100L, "two");
        tag("first/app", v1, "production");

        var r = rollback(repo("first/app") + ":production");

        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("no tag of " + REGISTRY.server().host() + "/first/app points at an artifact created before",
                "nothing to roll back to");
        assertThat(tags("first/app")).containsEntry("production", v1);
    }

    @Test
    void anUnknownDigestOrTagIsRefusedAndNothingMoves() {
        String v1 = push("bad/app", "c1", SHA_A, 1_700_000_000L, "one");
        String v2 = push("bad/app", "c2", SHA_B, 1_700_000_100L, "two");
        tag("bad/app", v2, "production");

        var unknownDigest = rollback(repo("bad/app") + ":production", "--to", "sha256:0000");
        var unknownTag = rollback(repo("bad/app") + ":staging");
        var pinned = rollback(repo("bad/app") + "@" + v1);

        assertThat(unknownDigest.exit()).as(unknownDigest.toString()).isEqualTo(1);
        assertThat(unknownDigest.err()).contains("no tag of " + REGISTRY.server().host() + "/bad/app points at a digest starting with sha256:0000");
        assertThat(unknownTag.exit()).as(unknownTag.toString()).isEqualTo(1);
        assertThat(unknownTag.err()).contains("has no tag staging: nothing to roll back");
        assertThat(pinned.exit()).as(pinned.toString()).isEqualTo(1);
        assertThat(pinned.err()).contains("names no tag to roll back");
        assertThat(tags("bad/app")).containsEntry("production", v2).containsEntry("c1", v1);
    }
}
