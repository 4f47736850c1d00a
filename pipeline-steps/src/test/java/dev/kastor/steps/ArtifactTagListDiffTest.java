package dev.kastor.steps;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.testing.RegistryWithFaultProxy;
import dev.kastor.testing.Skopeo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** {@code kastor artifact tag | list | diff} against artifacts pushed by the command itself. */
class ArtifactTagListDiffTest {
    private static final String SHA_A = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    private static final String SHA_B = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    @RegisterExtension
    static final RegistryWithFaultProxy REGISTRY = new RegistryWithFaultProxy();

    @TempDir
    Path tmp;

    private Path deploy() {
        return Artifacts.write(tmp.resolve("deploy"), Map.of(
                "kustomization.yaml", "resources:\n- app.yaml\n",
                "app.yaml", "kind: ConfigMap\n",
                "base/service.yaml", "kind: Service\n"));
    }

    private KastorRun.Result pushAt(Path dir, String repoTag, String sha) {
        var r = KastorRun.in(tmp).env(Map.of("CI_COMMIT_REF_NAME", "main", "CI_COMMIT_SHA", sha))
                .run("artifact", "push", dir.toString(), "oci://" + REGISTRY.server().host() + "/" + repoTag, "--insecure-registry", "--output", "json");
        assertThat(r.exit()).as(r.toString()).isZero();
        return r;
    }

    @Test
    void tagPointsANewTagAtTheSameDigestWithoutMovingBlobs() {
        String digest = pushAt(deploy(), "tags/app:v1", SHA_A).json().get("digest").asString();
        REGISTRY.proxy().clear();

        var r = KastorRun.in(tmp).run("artifact", "tag", "oci://" + REGISTRY.proxy().host() + "/tags/app@" + digest, "--tag", "production", "-t", "stable",
                "--insecure-registry");

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(Artifacts.sha256(Skopeo.inspectRaw(REGISTRY.server().host() + "/tags/app:production", null))).isEqualTo(digest);
        assertThat(Artifacts.sha256(Skopeo.inspectRaw(REGISTRY.server().host() + "/tags/app:stable", null))).isEqualTo(digest);
        assertThat(REGISTRY.proxy().requests("POST|PATCH|PUT", "/blobs/")).as("blob traffic of a tag").isEmpty();
        assertThat(REGISTRY.proxy().requests("PUT", "/manifests/")).hasSize(2);
    }

    @Test
    void tagByTagResolvesTheDigestFirst() {
        String digest = pushAt(deploy(), "tags/bytag:v1", SHA_A).json().get("digest").asString();

        var r = KastorRun.in(tmp).run("artifact", "tag", "oci://" + REGISTRY.server().host() + "/tags/bytag:v1", "--tag", "latest",
                "--insecure-registry", "--output", "json");

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.json().get("digest").asString()).isEqualTo(digest);
        assertThat(Artifacts.sha256(Skopeo.inspectRaw(REGISTRY.server().host() + "/tags/bytag:latest", null))).isEqualTo(digest);
    }

    @Test
    void listShowsEveryTagWithItsDigestAndRevision() {
        String v1 = pushAt(deploy(), "listed/app:v1", SHA_A).json().get("digest").asString();
        Artifacts.write(tmp.resolve("deploy"), Map.of("app.yaml", "kind: ConfigMap\ndata: {a: b}\n"));
        String v2 = pushAt(tmp.resolve("deploy"), "listed/app:v2", SHA_B).json().get("digest").asString();

        var r = KastorRun.in(tmp).run("artifact", "list", "oci://" + REGISTRY.server().host() + "/listed/app", "--insecure-registry", "--output", "json");

        assertThat(r.exit()).as(r.toString()).isZero();
        Map<String, JsonNode> byTag = new HashMap<>();
        r.json().forEach(row -> byTag.put(row.get("tag").asString(), row));
        assertThat(byTag).containsOnlyKeys("v1", "v2");
        assertThat(byTag.get("v1").get("digest").asString()).isEqualTo(v1);
        assertThat(byTag.get("v1").get("revision").asString()).isEqualTo("main@sha1:" + SHA_A);
        assertThat(byTag.get("v2").get("digest").asString()).isEqualTo(v2);
        assertThat(byTag.get("v2").get("revision").asString()).isEqualTo("main@sha1:" + SHA_B);
        assertThat(byTag.get("v2").get("url").asString()).isEqualTo("oci://" + REGISTRY.server().host() + "/listed/app:v2");

        var text = KastorRun.in(tmp).run("artifact", "list", "oci://" + REGISTRY.server().host() + "/listed/app", "--insecure-registry");
        assertThat(text.exit()).as(text.toString()).isZero();
        assertThat(text.out()).containsPattern("v1 .*main@sha1:" + SHA_A).containsPattern("v2 .*main@sha1:" + SHA_B);
    }

    @Test
    void listDotenvWritesTheNewestTagAsPushWritesItsArtifact() throws Exception {
        // v1 is created after v2, though pushed first and the lesser tag: "newest" is by the created annotation.
        String v1 = pushCreatedAt(deploy(), "listed/dotenv:v1", SHA_A, 1_800_000_000L);
        Artifacts.write(tmp.resolve("deploy"), Map.of("app.yaml", "kind: ConfigMap\ndata: {a: b}\n"));
        pushCreatedAt(tmp.resolve("deploy"), "listed/dotenv:v2", SHA_B, 1_700_000_000L);

        var text = KastorRun.in(tmp).run("artifact", "list", "oci://" + REGISTRY.server().host() + "/listed/dotenv", "--insecure-registry",
                "--dotenv", "text.env");
        var json = KastorRun.in(tmp).run("artifact", "list", "oci://" + REGISTRY.server().host() + "/listed/dotenv", "--insecure-registry",
                "--dotenv", "json.env", "--output", "json");

        assertThat(text.exit()).as(text.toString()).isZero();
        assertThat(text.out()).contains("v1", "v2");
        assertThat(text.err()).contains("v1", "text.env");
        assertThat(json.exit()).as(json.toString()).isZero();
        for (String file : java.util.List.of("text.env", "json.env")) {
            assertThat(Files.readAllLines(tmp.resolve(file))).as(file).containsExactly(
                    "KASTOR_ARTIFACT_URL=oci://" + REGISTRY.server().host() + "/listed/dotenv:v1",
                    "KASTOR_ARTIFACT_DIGEST=" + v1,
                    "KASTOR_ARTIFACT_REVISION=main@sha1:" + SHA_A);
        }
    }

    private String pushCreatedAt(Path dir, String repoTag, String sha, long epochSeconds) {
        var r = KastorRun.in(tmp).env(Map.of("CI_COMMIT_REF_NAME", "main", "CI_COMMIT_SHA", sha, "SOURCE_DATE_EPOCH", String.valueOf(epochSeconds)))
                .run("artifact", "push", dir.toString(), "oci://" + REGISTRY.server().host() + "/" + repoTag, "--insecure-registry", "--reproducible",
                        "--output", "json");
        assertThat(r.exit()).as(r.toString()).isZero();
        return r.json().get("digest").asString();
    }

    @Test
    void diffOfTheSameTreeIsIdenticalWithExitZero() {
        Path deploy = deploy();
        pushAt(deploy, "diffs/same:v1", SHA_A);
        // An ignored file is not a difference: diff filters the tree as push does.
        Artifacts.write(deploy, Map.of(".git/HEAD", "ref: refs/heads/main\n"));

        var r = KastorRun.in(tmp).run("artifact", "diff", deploy.toString(), "oci://" + REGISTRY.server().host() + "/diffs/same:v1", "--insecure-registry");

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("identical");
    }

    @Test
    void diffByDigestNamesTheDigestOnce() throws Exception {
        Path deploy = deploy();
        String digest = pushAt(deploy, "diffs/bydigest:v1", SHA_A).json().get("digest").asString();
        String pinned = "oci://" + REGISTRY.server().host() + "/diffs/bydigest@" + digest;

        var same = KastorRun.in(tmp).run("artifact", "diff", deploy.toString(), pinned, "--insecure-registry");
        Files.writeString(deploy.resolve("app.yaml"), "kind: ConfigMap\ndata: {changed: true}\n");
        var changed = KastorRun.in(tmp).run("artifact", "diff", deploy.toString(), pinned, "--insecure-registry");

        assertThat(same.exit()).as(same.toString()).isZero();
        assertThat(same.out().strip()).isEqualTo(deploy + " is identical to " + pinned);
        assertThat(changed.exit()).as(changed.toString()).isEqualTo(3);
        assertThat(changed.out()).contains(deploy + " differs from " + pinned + ": 0 added, 0 removed, 1 changed");
    }

    @Test
    void diffOfAChangedTreeNamesEachPathAndExitsThree() throws Exception {
        Path deploy = deploy();
        pushAt(deploy, "diffs/changed:v1", SHA_A);
        Files.writeString(deploy.resolve("app.yaml"), "kind: ConfigMap\ndata: {changed: true}\n");
        Files.delete(deploy.resolve("base/service.yaml"));
        Artifacts.write(deploy, Map.of("new/ingress.yaml", "kind: Ingress\n"));

        var text = KastorRun.in(tmp).run("artifact", "diff", deploy.toString(), "oci://" + REGISTRY.server().host() + "/diffs/changed:v1", "--insecure-registry");
        var json = KastorRun.in(tmp).run("artifact", "diff", deploy.toString(), "oci://" + REGISTRY.server().host() + "/diffs/changed:v1", "--insecure-registry",
                "--output", "json");

        assertThat(text.exit()).as(text.toString()).isEqualTo(3);
        assertThat(text.out()).contains("+ new/ingress.yaml").contains("- base/service.yaml").contains("~ app.yaml");
        assertThat(json.exit()).as(json.toString()).isEqualTo(3);
        assertThat(json.json().get("identical").asBoolean()).isFalse();
        assertThat(json.json().get("added").toString()).contains("new/ingress.yaml");
        assertThat(json.json().get("removed").toString()).contains("base/service.yaml");
        assertThat(json.json().get("changed").toString()).contains("app.yaml");
    }

    @Test
    void diffAgainstAMissingTagFailsWithExitOneNotThree() {
        var r = KastorRun.in(tmp).run("artifact", "diff", deploy().toString(), "oci://" + REGISTRY.server().host() + "/diffs/none:v1", "--insecure-registry");

        // 3 would tell a pipeline "changed, deploy it"; a failed comparison must not look like that.
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("diffs/none");
    }
}
