package dev.kastor.steps;

import static dev.kastor.steps.Artifacts.FLUX_CONFIG;
import static dev.kastor.steps.Artifacts.FLUX_CONTENT;
import static dev.kastor.steps.Artifacts.OCI_MANIFEST;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.testing.RegistryServer;
import dev.kastor.testing.Skopeo;
import dev.kastor.testing.kube.RegistryTags;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.lib.PersonIdent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** {@code kastor artifact push} to a real plain-HTTP registry (and an OCI layout), read back by skopeo and GNU tar. */
class ArtifactPushTest {
    private static final String SHA = "0123456789abcdef0123456789abcdef01234567";
    private static final Map<String, String> CI = Map.of(
            "CI_PROJECT_URL", "https://gitlab.example.com/bars/app",
            "CI_COMMIT_REF_NAME", "main",
            "CI_COMMIT_SHA", SHA);

    private static RegistryServer registry;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        registry = RegistryServer.start();
    }

    @AfterAll
    static void stop() {
        if (registry != null) registry.close();
    }

    private Path deployTree() {
        return Artifacts.write(tmp.resolve("deploy"), Map.of(
                "kustomization.yaml", "resources:\n- app/deployment.yaml\n",
                "app/deployment.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: podinfo\n",
                "app/service.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: podinfo\n"));
    }

    private String ref(String repoTag) {
        return "oci://" + registry.host() + "/" + repoTag;
    }

    @Test
    void pushedArtifactIsReadBySkopeoWithFluxMediaTypesAndThePrintedDigest() {
        Path deploy = deployTree();

        var r = KastorRun.in(tmp).env(CI).run("artifact", "push", deploy.toString(), ref("push/basic:v1"), "--insecure-registry", "--output", "json");

        assertThat(r.exit()).as(r.toString()).isZero();
        JsonNode out = r.json();
        assertThat(out.get("url").asString()).isEqualTo(ref("push/basic:v1"));
        assertThat(out.get("repository").asString()).isEqualTo(registry.host() + "/push/basic");
        assertThat(out.get("tag").asString()).isEqualTo("v1");

        String raw = Skopeo.inspectRaw(registry.host() + "/push/basic:v1", null);
        // The digest a user hands to Flux must be the sha256 of exactly the bytes the registry serves.
        assertThat(out.get("digest").asString()).isEqualTo(Artifacts.sha256(raw));
        JsonNode manifest = Artifacts.json(raw);
        assertThat(manifest.get("mediaType").asString()).isEqualTo(OCI_MANIFEST);
        assertThat(manifest.get("config").get("mediaType").asString()).isEqualTo(FLUX_CONFIG);
        assertThat(manifest.get("layers")).hasSize(1);
        assertThat(manifest.get("layers").get(0).get("mediaType").asString()).isEqualTo(FLUX_CONTENT);
        JsonNode annotations = manifest.get("annotations");
        assertThat(annotations.get("org.opencontainers.image.created").asString()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
        assertThat(annotations.get("org.opencontainers.image.source").asString()).isEqualTo("https://gitlab.example.com/bars/app");
        assertThat(annotations.get("org.opencontainers.image.revision").asString()).isEqualTo("main@sha1:" + SHA);
    }

    @Test
    void layerUnpackedByGnuTarHoldsExactlyTheSourceFilesWithoutIgnoredOnes() throws Exception {
        Path deploy = deployTree();
        Map<String, String> expected = Artifacts.files(deploy);
        // Flux's default ignores: never shipped to the cluster.
        Artifacts.write(deploy, Map.of(".git/config", "[core]\n", ".git/HEAD", "ref: refs/heads/main\n", ".gitignore", "*.tmp\n"));
        Files.write(deploy.resolve("app/diagram.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G'});

        var r = KastorRun.in(tmp).run("artifact", "push", deploy.toString(), ref("push/content:v1"), "--insecure-registry");
        assertThat(r.exit()).as(r.toString()).isZero();

        Path unpacked = Artifacts.copyAndUnpack(registry.host() + "/push/content:v1", null, tmp.resolve("check"));
        assertThat(Artifacts.files(unpacked)).isEqualTo(expected);
        assertThat(Artifacts.listing(unpacked)).noneMatch(p -> p.startsWith(".git") || p.endsWith(".png"));
    }

    @Test
    void layerEntriesAreOwnedByRootWithZeroTimesAndNormalisedModes() throws Exception {
        Path deploy = deployTree();
        Files.setPosixFilePermissions(deploy.resolve("app/service.yaml"), PosixFilePermissions.fromString("rw-rw-rw-"));
        Path script = Files.writeString(deploy.resolve("hook.sh"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));

        var r = KastorRun.in(tmp).run("artifact", "push", deploy.toString(), ref("push/modes:v1"), "--insecure-registry");
        assertThat(r.exit()).as(r.toString()).isZero();
        Path layout = tmp.resolve("layout");
        Skopeo.copyToOciLayout(registry.host() + "/push/modes:v1", layout, "t", null);

        String listing = Artifacts.tarListing(layout);
        assertThat(listing.lines()).allMatch(l -> l.contains(" 0/0 ") && l.contains("1970-01-01 00:00:00"), "root-owned, zero time");
        assertThat(listing).containsPattern("-rw-r--r-- .*app/service\\.yaml").containsPattern("-rwxr-xr-x .*hook\\.sh")
                .containsPattern("drwxr-xr-x .*app/?\\n");
    }

    @Test
    void ciVariablesFillSourceAndRevisionAndAnnotationFlagsAddMore() {
        var r = KastorRun.in(tmp).env(CI).run("artifact", "push", deployTree().toString(), ref("push/ci:v1"), "--insecure-registry",
                "--annotation", "org.opencontainers.image.title=podinfo", "-a", "team=bars");
        assertThat(r.exit()).as(r.toString()).isZero();

        JsonNode annotations = Artifacts.json(Skopeo.inspectRaw(registry.host() + "/push/ci:v1", null)).get("annotations");
        assertThat(annotations.get("org.opencontainers.image.source").asString()).isEqualTo(CI.get("CI_PROJECT_URL"));
        assertThat(annotations.get("org.opencontainers.image.revision").asString()).isEqualTo("main@sha1:" + SHA);
        assertThat(annotations.get("org.opencontainers.image.title").asString()).isEqualTo("podinfo");
        assertThat(annotations.get("team").asString()).isEqualTo("bars");
        assertThat(r.out()).contains("main@sha1:" + SHA);
    }

    @Test
    void shortCommitShaIsRefusedWithTheFullFormInTheMessageAndNothingIsPushed() {
        var r = KastorRun.in(tmp).env(CI).env("CI_COMMIT_SHA", "0123456")
                .run("artifact", "push", deployTree().toString(), ref("push/short:v1"), "--insecure-registry");

        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("0123456").contains("40-character");
        assertThat(r.out()).isEmpty();
        assertThat(Artifacts.tagExists(registry.host() + "/push/short:v1", null)).isFalse();
    }

    @Test
    void reproduciblePushesOfTheSameTreeGiveTheSameDigestWhateverTheMtimesAndModes() throws Exception {
        Path deploy = deployTree();
        Map<String, String> env = Map.of("SOURCE_DATE_EPOCH", "1700000000");
        var first = KastorRun.in(tmp).env(env).run("artifact", "push", deploy.toString(), ref("push/repro:a"), "--insecure-registry",
                "--reproducible", "--output", "json");
        assertThat(first.exit()).as(first.toString()).isZero();

        // What differs between two CI runners checking out the same commit: mtimes, umask.
        try (var paths = Files.walk(deploy)) {
            for (Path p : (Iterable<Path>) paths::iterator) Files.setLastModifiedTime(p, FileTime.from(Instant.parse("2031-05-06T07:08:09Z")));
        }
        Files.setPosixFilePermissions(deploy.resolve("kustomization.yaml"), PosixFilePermissions.fromString("rw-rw----"));
        Files.setPosixFilePermissions(deploy.resolve("app"), PosixFilePermissions.fromString("rwxrwx---"));
        var second = KastorRun.in(tmp).env(env).run("artifact", "push", deploy.toString(), ref("push/repro:b"), "--insecure-registry",
                "--reproducible", "--output", "json");
        assertThat(second.exit()).as(second.toString()).isZero();

        assertThat(second.json().get("digest").asString()).isEqualTo(first.json().get("digest").asString());
        String raw = Skopeo.inspectRaw(registry.host() + "/push/repro:b", null);
        assertThat(Artifacts.sha256(raw)).isEqualTo(first.json().get("digest").asString());
        assertThat(Artifacts.json(raw).get("annotations").get("org.opencontainers.image.created").asString())
                .isEqualTo(Instant.ofEpochSecond(1700000000).toString());
    }

    /** {@link #deployTree()} committed in a Git repository at {@code tmp}, the commit dated {@code committed} (authored earlier). */
    private Path committedDeployTree(Instant committed) throws Exception {
        Path deploy = deployTree();
        try (Git git = Git.init().setDirectory(tmp.toFile()).setInitialBranch("main").call()) {
            git.add().addFilepattern("deploy").call();
            git.commit().setMessage("deploy").setSign(false)
                    .setAuthor(new PersonIdent("A", "a@example.com", committed.minusSeconds(86400), ZoneOffset.UTC))
                    .setCommitter(new PersonIdent("C", "c@example.com", committed, ZoneOffset.ofHours(2))).call();
        }
        return deploy;
    }

    @Test
    void theSameTreeTwiceInAGitRepositoryGivesTheSameDigestWithNoVariablesSet() throws Exception {
        // No SOURCE_DATE_EPOCH, no CI_COMMIT_TIMESTAMP: a laptop. created is the commit's time, not the clock's.
        Path deploy = committedDeployTree(Instant.parse("2024-05-06T07:08:09Z"));

        var first = KastorRun.in(tmp).run("artifact", "push", deploy.toString(), ref("push/git:a"), "--insecure-registry");
        var second = KastorRun.in(tmp).run("artifact", "push", deploy.toString(), ref("push/git:b"), "--insecure-registry", "--output", "json");

        assertThat(first.exit()).as(first.toString()).isZero();
        assertThat(first.errLines()).as(first.toString()).anyMatch(l -> l.startsWith("created 2024-05-06T07:08:09Z from Git commit ")
                && l.endsWith(" (HEAD of " + tmp + ")"));
        assertThat(second.exit()).as(second.toString()).isZero();
        assertThat(second.json().get("createdFrom").asString()).isEqualTo("git");
        assertThat(second.json().get("created").asString()).isEqualTo("2024-05-06T07:08:09Z");
        assertThat(second.json().get("digest").asString()).isEqualTo(RegistryTags.digest(ref("push/git"), "a"))
                .isEqualTo(Artifacts.sha256(Skopeo.inspectRaw(registry.host() + "/push/git:b", null)));
    }

    @Test
    void createdComesFromSourceDateEpochThenCiCommitTimestampThenGitAndTheLogSaysWhich() throws Exception {
        Path deploy = committedDeployTree(Instant.parse("2024-05-06T07:08:09Z"));

        var ci = KastorRun.in(tmp).env("CI_COMMIT_TIMESTAMP", "2026-12-01T11:00:00+01:00")
                .run("artifact", "push", deploy.toString(), ref("push/origin:ci"), "--insecure-registry");
        var epoch = KastorRun.in(tmp).env(Map.of("CI_COMMIT_TIMESTAMP", "2026-12-01T11:00:00+01:00", "SOURCE_DATE_EPOCH", "1700000000"))
                .run("artifact", "push", deploy.toString(), ref("push/origin:epoch"), "--insecure-registry", "--output", "json");

        assertThat(ci.exit()).as(ci.toString()).isZero();
        assertThat(ci.errLines()).as(ci.toString()).contains("created 2026-12-01T10:00:00Z from CI_COMMIT_TIMESTAMP");
        assertThat(Artifacts.json(Skopeo.inspectRaw(registry.host() + "/push/origin:ci", null)).get("annotations")
                .get("org.opencontainers.image.created").asString()).isEqualTo("2026-12-01T10:00:00Z");
        assertThat(epoch.exit()).as(epoch.toString()).isZero();
        assertThat(epoch.json().get("createdFrom").asString()).isEqualTo("SOURCE_DATE_EPOCH");
        assertThat(epoch.json().get("created").asString()).isEqualTo("2023-11-14T22:13:20Z");
    }

    @Test
    void aMalformedTimeVariableIsAUsageErrorNamingItAndNothingIsPushed() throws Exception {
        Path deploy = committedDeployTree(Instant.parse("2024-05-06T07:08:09Z"));

        var epoch = KastorRun.in(tmp).env("SOURCE_DATE_EPOCH", "yesterday")
                .run("artifact", "push", deploy.toString(), ref("push/badtime:v1"), "--insecure-registry");
        var ci = KastorRun.in(tmp).env("CI_COMMIT_TIMESTAMP", "01/12/2026 10:00")
                .run("artifact", "push", deploy.toString(), ref("push/badtime:v1"), "--insecure-registry");

        assertThat(epoch.exit()).as(epoch.toString()).isEqualTo(2);
        assertThat(epoch.err()).contains("SOURCE_DATE_EPOCH='yesterday' is not a whole number of seconds");
        assertThat(ci.exit()).as(ci.toString()).isEqualTo(2);
        assertThat(ci.err()).contains("CI_COMMIT_TIMESTAMP='01/12/2026 10:00' is not an ISO 8601 time");
        assertThat(epoch.out() + ci.out()).isEmpty();
        assertThat(Artifacts.tagExists(registry.host() + "/push/badtime:v1", null)).isFalse();
    }

    @Test
    void dotenvFileCarriesUrlDigestAndRevisionAndKeepsOtherKeys() throws Exception {
        Path dotenv = Files.writeString(tmp.resolve("build.env"), "IMAGE_DIGEST=sha256:abc\nKASTOR_ARTIFACT_URL=stale\n");

        var r = KastorRun.in(tmp).env(CI).run("artifact", "push", deployTree().toString(), ref("push/dotenv:v1"), "--insecure-registry",
                "--dotenv", "build.env");
        assertThat(r.exit()).as(r.toString()).isZero();

        String raw = Skopeo.inspectRaw(registry.host() + "/push/dotenv:v1", null);
        assertThat(Files.readAllLines(dotenv, StandardCharsets.UTF_8)).containsExactlyInAnyOrder(
                "IMAGE_DIGEST=sha256:abc",
                "KASTOR_ARTIFACT_URL=" + ref("push/dotenv:v1"),
                "KASTOR_ARTIFACT_DIGEST=" + Artifacts.sha256(raw),
                "KASTOR_ARTIFACT_REVISION=main@sha1:" + SHA);
        // Rewritten through a temporary file, yet with the mode any new file gets here (0644 under umask 022), not 0600.
        assertThat(Files.getPosixFilePermissions(dotenv)).isEqualTo(Files.getPosixFilePermissions(Files.createFile(tmp.resolve("plain"))));
    }

    @Test
    void logsAreCollapsibleSectionsOnlyInGitLabCi() {
        Path deploy = deployTree();
        var inGitLab = KastorRun.in(tmp).env("GITLAB_CI", "true").run("artifact", "push", deploy.toString(), ref("push/sections:v1"), "--insecure-registry");
        var elsewhere = KastorRun.in(tmp).run("artifact", "push", deploy.toString(), ref("push/sections:v2"), "--insecure-registry");

        assertThat(inGitLab.exit()).as(inGitLab.toString()).isZero();
        assertThat(inGitLab.err()).containsPattern("section_start:\\d+:kastor_push").containsPattern("section_end:\\d+:kastor_push");
        assertThat(inGitLab.out()).doesNotContain("section_");
        assertThat(elsewhere.exit()).as(elsewhere.toString()).isZero();
        assertThat(elsewhere.err()).doesNotContain("section_start:").doesNotContain("section_end:");
    }

    @Test
    void manifestsOnStandardInputBecomeOneFileNamedStdinYaml() {
        String yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-kustomize\n";
        var r = KastorRun.in(tmp).stdin(yaml).run("artifact", "push", "--path", "-", ref("push/stdin:v1"), "--insecure-registry");
        assertThat(r.exit()).as(r.toString()).isZero();

        Path unpacked = Artifacts.copyAndUnpack(registry.host() + "/push/stdin:v1", null, tmp.resolve("check"));
        assertThat(Artifacts.files(unpacked)).containsExactly(Map.entry("stdin.yaml", yaml));
    }

    @Test
    void pushToAnOciLayoutDirectoryIsReadBySkopeo() throws Exception {
        Path deploy = deployTree();
        var r = KastorRun.in(tmp).run("artifact", "push", deploy.toString(), "oci-layout:build/oci:example", "--output", "json");
        assertThat(r.exit()).as(r.toString()).isZero();

        Path layout = tmp.resolve("build/oci");
        String raw = Artifacts.inspectLayoutRaw(layout, "example");
        assertThat(Artifacts.json(raw).get("config").get("mediaType").asString()).isEqualTo(FLUX_CONFIG);
        assertThat(r.json().get("digest").asString()).isEqualTo(Artifacts.sha256(raw));
        assertThat(Artifacts.files(Artifacts.unpackLayer(layout, tmp.resolve("unpacked")))).isEqualTo(Artifacts.files(deploy));
    }
}
