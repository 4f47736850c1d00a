package dev.kastor.steps;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.oci.Descriptor;
import dev.kastor.oci.Digest;
import dev.kastor.oci.MediaTypes;
import dev.kastor.oci.registry.Registry;
import dev.kastor.oci.registry.RegistryOptions;
import dev.kastor.testing.RegistryServer;
import dev.kastor.testing.kube.RegistryTags;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code kastor artifact pull}: round trips, a target in the way, and artifacts built to attack the puller. */
class ArtifactPullTest {
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

    private String ref(String repoTag) {
        return "oci://" + registry.host() + "/" + repoTag;
    }

    private Path pushed(String repoTag) {
        Path deploy = Artifacts.write(tmp.resolve("deploy"), Map.of(
                "kustomization.yaml", "resources:\n- base/app.yaml\n",
                "base/app.yaml", "kind: ConfigMap\nmetadata:\n  name: pulled\n",
                "base/deep/er/x.yaml", "kind: Secret\n"));
        var r = KastorRun.in(tmp).run("artifact", "push", deploy.toString(), ref(repoTag), "--insecure-registry");
        assertThat(r.exit()).as(r.toString()).isZero();
        return deploy;
    }

    @Test
    void pullIntoANewDirectoryGivesBackTheSameFiles() throws Exception {
        Path deploy = pushed("pull/roundtrip:v1");
        Path script = Files.writeString(deploy.resolve("run.sh"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-x---"));
        assertThat(KastorRun.in(tmp).run("artifact", "push", deploy.toString(), ref("pull/roundtrip:v2"), "--insecure-registry").exit()).isZero();

        var r = KastorRun.in(tmp).run("artifact", "pull", ref("pull/roundtrip:v2"), "-o", "out/manifests", "--insecure-registry");

        assertThat(r.exit()).as(r.toString()).isZero();
        Path out = tmp.resolve("out/manifests");
        assertThat(Artifacts.files(out)).isEqualTo(Artifacts.files(deploy));
        assertThat(Files.getPosixFilePermissions(out.resolve("run.sh"))).contains(PosixFilePermission.OWNER_EXECUTE);
        assertThat(r.out()).contains("4 files");
    }

    @Test
    void pullByDigestNamesTheDigestOnce() throws Exception {
        pushed("pull/bydigest:v1");
        String digest = RegistryTags.digest(ref("pull/bydigest"), "v1");

        var r = KastorRun.in(tmp).run("artifact", "pull", ref("pull/bydigest@" + digest), "-o", "out", "--insecure-registry");

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).startsWith("pulled " + ref("pull/bydigest@" + digest) + " into out ");
    }

    @Test
    void pullFromAnOciLayoutGivesBackTheSameFiles() {
        Path deploy = Artifacts.write(tmp.resolve("deploy"), Map.of("a.yaml", "a: 1\n"));
        assertThat(KastorRun.in(tmp).run("artifact", "push", deploy.toString(), "oci-layout:oci:v1").exit()).isZero();

        var r = KastorRun.in(tmp).run("artifact", "pull", "oci-layout:oci:v1", "-o", "out");

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(Artifacts.files(tmp.resolve("out"))).isEqualTo(Artifacts.files(deploy));
    }

    @Test
    void nonEmptyTargetIsRefusedWithoutOverwriteAndLeftUnchanged() throws Exception {
        pushed("pull/busy:v1");
        Path out = Artifacts.write(tmp.resolve("out"), Map.of("base/app.yaml", "mine\n", "notes.txt", "keep\n"));
        List<String> before = Artifacts.listing(tmp);

        var r = KastorRun.in(tmp).run("artifact", "pull", ref("pull/busy:v1"), "-o", "out", "--insecure-registry");

        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("not empty").contains("--overwrite");
        assertThat(Artifacts.files(out)).isEqualTo(Map.of("base/app.yaml", "mine\n", "notes.txt", "keep\n"));
        assertThat(Artifacts.listing(tmp)).as("no staging directory left beside the target").isEqualTo(before);

        var again = KastorRun.in(tmp).run("artifact", "pull", ref("pull/busy:v1"), "-o", "out", "--insecure-registry", "--overwrite");
        assertThat(again.exit()).as(again.toString()).isZero();
        assertThat(Artifacts.files(out)).containsEntry("base/app.yaml", "kind: ConfigMap\nmetadata:\n  name: pulled\n")
                .containsEntry("notes.txt", "keep\n");
    }

    /**
     * Artifacts a hostile pusher could put into a registry a pipeline pulls from. Built by hand (Kastor never writes
     * such entries) and pushed with the library's registry client, with the Flux media types, so only the tar differs.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"dot-dot", "absolute", "symlink-out"})
    void maliciousArtifactIsRefusedAndNothingIsWrittenAnywhere(String attack) throws Exception {
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Path work = Files.createDirectories(tmp.resolve("work"));
        byte[] layer = maliciousLayer(attack, outside);
        String repo = "pull/evil-" + attack;
        pushRawFluxArtifact(repo, "v1", layer);
        List<String> before = Artifacts.listing(tmp);

        var r = KastorRun.in(work).run("artifact", "pull", ref(repo + ":v1"), "-o", "target", "--insecure-registry");

        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).containsAnyOf("escape", "absolute", "link", "..");
        assertThat(r.err()).doesNotContain("\tat ").doesNotContain("unexpected");
        assertThat(Artifacts.listing(tmp)).as("nothing written outside, inside, nor a staging dir left").isEqualTo(before);
        assertThat(work.resolve("target")).doesNotExist();
        assertThat(outside).isEmptyDirectory();
    }

    /** A benign file first, so a puller that extracts as it goes would leave something behind. */
    private static byte[] maliciousLayer(String attack, Path outside) throws IOException {
        var bytes = new ByteArrayOutputStream();
        try (var tar = new TarArchiveOutputStream(new GZIPOutputStream(bytes))) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            addFile(tar, new TarArchiveEntry("ok.yaml"), "kind: ConfigMap\n");
            switch (attack) {
                case "dot-dot" -> addFile(tar, new TarArchiveEntry("../outside/escape.yaml"), "pwned\n");
                // preserveAbsolutePath: commons-compress strips the leading '/' otherwise, and the test would prove nothing
                case "absolute" -> addFile(tar, new TarArchiveEntry(outside.resolve("abs.yaml").toString(), true), "pwned\n");
                case "symlink-out" -> {
                    var link = new TarArchiveEntry("link", TarConstants.LF_SYMLINK);
                    link.setLinkName(outside.toString());
                    tar.putArchiveEntry(link);
                    tar.closeArchiveEntry();
                    addFile(tar, new TarArchiveEntry("link/through.yaml"), "pwned\n");
                }
                default -> throw new IllegalArgumentException(attack);
            }
        }
        return bytes.toByteArray();
    }

    private static void addFile(TarArchiveOutputStream tar, TarArchiveEntry entry, String content) throws IOException {
        byte[] data = content.getBytes(StandardCharsets.UTF_8);
        entry.setSize(data.length);
        tar.putArchiveEntry(entry);
        tar.write(data);
        tar.closeArchiveEntry();
    }

    private void pushRawFluxArtifact(String repo, String tag, byte[] layer) throws IOException {
        Registry client = Registry.connect(registry.host(), RegistryOptions.builder().insecure(true).build());
        Path layerFile = Files.write(tmp.resolve("evil.tgz"), layer);
        var layerDescriptor = new Descriptor(MediaTypes.FLUX_CONTENT, Digest.of(layer), layer.length);
        byte[] config = "{}".getBytes(StandardCharsets.UTF_8);
        var configDescriptor = new Descriptor(MediaTypes.FLUX_CONFIG, Digest.of(config), config.length);
        client.pushBlob(repo, layerDescriptor, layerFile, null);
        client.pushBlob(repo, configDescriptor, config);
        String manifest = """
                {"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"%s","digest":"%s","size":%d},\
                "layers":[{"mediaType":"%s","digest":"%s","size":%d}],\
                "annotations":{"org.opencontainers.image.created":"2026-01-01T00:00:00Z"}}"""
                .formatted(MediaTypes.OCI_MANIFEST, MediaTypes.FLUX_CONFIG, configDescriptor.digest(), config.length,
                        MediaTypes.FLUX_CONTENT, layerDescriptor.digest(), layer.length);
        client.pushManifest(repo, tag, manifest.getBytes(StandardCharsets.UTF_8), MediaTypes.OCI_MANIFEST);
        Files.delete(layerFile);
    }
}
