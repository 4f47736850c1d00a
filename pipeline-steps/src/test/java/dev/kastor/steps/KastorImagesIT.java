package dev.kastor.steps;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.testing.RegistryServer;
import dev.kastor.testing.Skopeo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Kastor's own images, built by {@code scripts/build-images} from the jars {@code package} made, onto a small base
 * image the test makes itself (tests cannot pull a public JRE image here): a stub {@code /opt/java/openjdk/bin/java}
 * with JAVA_HOME and PATH set, pushed to a real registry. What was pushed is read back with skopeo and GNU tar.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KastorImagesIT {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    private RegistryServer registry;
    private String base;
    private String baseLayer;
    private JsonNode built;

    @TempDir
    Path tmp;

    @BeforeAll
    void buildOnce(@TempDir Path work) throws Exception {
        registry = RegistryServer.start();
        Path stub = Artifacts.write(work.resolve("jre"), Map.of("opt/java/openjdk/bin/java", "#!/bin/sh\necho stub java \"$@\"\n"));
        stub.resolve("opt/java/openjdk/bin/java").toFile().setExecutable(true);
        base = registry.host() + "/base/jre:21";
        var r = KastorRun.in(work).run("image", "build", "--insecure-registry", "--from", "scratch", "--layer", stub + ":/",
                "--env", "JAVA_HOME=/opt/java/openjdk", "--env", "PATH=/opt/java/openjdk/bin:/usr/bin:/bin", "--to", base);
        assertThat(r.exit()).as(r.toString()).isZero();
        baseLayer = Images.manifest(base).path("layers").get(0).path("digest").asString();

        built = Artifacts.json(buildImages(work, "--base", base, "--to", registry.host() + "/kastor", "--tag", "1.0.0", "--tag", "latest",
                "--insecure-registry", "--revision", "0123456789abcdef0123456789abcdef01234567", "--output", "json"));
    }

    @AfterAll
    void stop() {
        if (registry != null) registry.close();
    }

    /** Runs scripts/build-images as a user would, with a cache and HOME of its own and no CI variables. */
    private static String buildImages(Path work, String... args) throws IOException, InterruptedException {
        var cmd = new ArrayList<String>();
        cmd.add(ROOT.resolve("scripts/build-images").toString());
        cmd.addAll(List.of(args));
        var pb = new ProcessBuilder(cmd).directory(work.toFile());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("CI_") || k.startsWith("DOCKER_") || k.equals("SOURCE_DATE_EPOCH"));
        env.put("HOME", work.resolve("home").toString());
        env.put("KASTOR_CACHE_DIR", work.resolve("cache").toString());
        Path out = work.resolve("out-" + System.nanoTime());
        Path err = work.resolve("err-" + System.nanoTime());
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertThat(p.waitFor(600, TimeUnit.SECONDS)).as("build-images finished in time").isTrue();
        String stderr = Files.readString(err, StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as("scripts/build-images " + String.join(" ", args) + "\n" + stderr).isZero();
        return Files.readString(out, StandardCharsets.UTF_8);
    }

    private Map<String, JsonNode> byName() {
        var m = new HashMap<String, JsonNode>();
        built.forEach(row -> m.put(row.path("name").asString(), row));
        return m;
    }

    @Test
    void threeImagesArePushedWithEveryTag() {
        assertThat(byName()).containsOnlyKeys("kastor", "kastor-kas", "kastor-agent");
        for (var row : byName().values()) {
            String repo = registry.host() + "/kastor/" + row.path("name").asString();
            String digest = row.path("digest").asString();
            assertThat(Artifacts.sha256(Skopeo.inspectRaw(repo + ":1.0.0", null))).isEqualTo(digest);
            assertThat(Artifacts.sha256(Skopeo.inspectRaw(repo + ":latest", null))).isEqualTo(digest);
        }
    }

    @Test
    void kastorImageRunsTheStepsJarAsANonRootUser() {
        String image = registry.host() + "/kastor/kastor:1.0.0";
        JsonNode config = Images.config(image);

        assertThat(Images.strings(config.path("Entrypoint"))).startsWith("java").endsWith("-jar", "/app/kastor.jar")
                .contains("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");
        assertThat(config.path("Cmd").isMissingNode() || config.path("Cmd").isNull() || config.path("Cmd").isEmpty()).isTrue();
        assertThat(config.path("User").asString()).isEqualTo("65532:65532");
        assertThat(Images.strings(config.path("Env"))).contains("JAVA_HOME=/opt/java/openjdk", "KASTOR_CACHE_DIR=/tmp/kastor-cache");
        JsonNode labels = config.path("Labels");
        assertThat(labels.path("org.opencontainers.image.title").asString()).isEqualTo("kastor");
        assertThat(labels.path("org.opencontainers.image.version").asString()).matches("\\d+\\.\\d+\\.\\d+.*");
        assertThat(labels.path("org.opencontainers.image.revision").asString()).isEqualTo("0123456789abcdef0123456789abcdef01234567");
        assertThat(labels.path("org.opencontainers.image.base.name").asString()).isEqualTo(base);
        assertThat(labels.path("org.opencontainers.image.created").asString()).isEqualTo("1970-01-01T00:00:00Z");
    }

    @Test
    void kastorImageStacksBaseThenJarThenLauncherThenCompletionAndManPages() throws Exception {
        String image = registry.host() + "/kastor/kastor:1.0.0";
        JsonNode manifest = Images.manifest(image);
        assertThat(manifest.path("layers").size()).isEqualTo(4);
        assertThat(manifest.path("layers").get(0).path("digest").asString()).as("base layer first, unchanged").isEqualTo(baseLayer);

        List<List<String>> layers = Images.layerFiles(image, tmp);
        assertThat(String.join("\n", layers.get(1))).contains("app/kastor.jar").doesNotContain("usr/local/bin");
        String launcher = layers.get(2).stream().filter(l -> l.endsWith("usr/local/bin/kastor")).findFirst().orElseThrow();
        assertThat(launcher).startsWith("-rwxr-xr-x");
        String shellDocs = String.join("\n", layers.get(3));
        assertThat(shellDocs).contains("usr/share/bash-completion/completions/kastor", "usr/share/doc/kastor/man/kastor-artifact-push.adoc",
                "usr/share/doc/kastor/man/kastor-image-build.adoc").doesNotContain("usr/local/bin");
        assertThat(layers.get(3).stream().filter(l -> l.endsWith("completions/kastor")).findFirst().orElseThrow()).startsWith("-rw-r--r--");
        assertThat(Files.size(ROOT.resolve("pipeline-steps/target/kastor.jar"))).isGreaterThan(1_000_000L);
    }

    @Test
    void kasAndAgentImagesCarryTheirJarsPortsAndUser() {
        JsonNode kas = Images.config(registry.host() + "/kastor/kastor-kas:1.0.0");
        JsonNode agent = Images.config(registry.host() + "/kastor/kastor-agent:1.0.0");

        assertThat(Images.strings(kas.path("Entrypoint"))).containsExactly("java", "-jar", "/app/kastor-kas.jar");
        assertThat(Images.strings(agent.path("Entrypoint"))).containsExactly("java", "-jar", "/app/kastor-agent.jar");
        assertThat(kas.path("User").asString()).isEqualTo("65532:65532");
        assertThat(agent.path("User").asString()).isEqualTo("65532:65532");
        for (String port : List.of("8150/tcp", "8153/tcp", "8154/tcp", "8155/tcp")) assertThat(kas.path("ExposedPorts").has(port)).as(port).isTrue();
        assertThat(kas.path("Labels").path("org.opencontainers.image.title").asString()).isEqualTo("kastor-kas");
        assertThat(agent.path("Labels").path("org.opencontainers.image.title").asString()).isEqualTo("kastor-agent");
        assertThat(Images.manifest(registry.host() + "/kastor/kastor-kas:1.0.0").path("layers").size()).isEqualTo(2);
        assertThat(Images.manifest(registry.host() + "/kastor/kastor-agent:1.0.0").path("layers").size()).isEqualTo(2);
    }

    @Test
    void rebuildingTheSameJarsGivesTheSameDigests() throws Exception {
        JsonNode again = Artifacts.json(buildImages(tmp, "--base", base, "--to", registry.host() + "/kastor", "--tag", "1.0.0-again",
                "--insecure-registry", "--revision", "0123456789abcdef0123456789abcdef01234567", "--output", "json"));

        var first = byName();
        again.forEach(row -> assertThat(row.path("digest").asString()).as(row.path("name").asString())
                .isEqualTo(first.get(row.path("name").asString()).path("digest").asString()));
    }

    @Test
    void ociLayoutTargetHoldsAllThreeImagesAndTheClassDataArchive() throws Exception {
        // Any file stands in for an archive made with the base's JVM: a mismatched one is ignored by the JVM at run time.
        Path archive = Files.writeString(tmp.resolve("kastor.jsa"), "not really an archive");
        buildImages(tmp, "--base", base, "--insecure-registry", "--oci-layout", tmp.resolve("images").toString(), "--tag", "1.0.0",
                "--cds-archive", archive.toString());

        for (String name : List.of("kastor", "kastor-kas", "kastor-agent")) {
            JsonNode m = Artifacts.json(Skopeo.inspectRawOciLayout(tmp.resolve("images"), name + "-1.0.0"));
            assertThat(m.path("layers").get(0).path("digest").asString()).as(name).isEqualTo(baseLayer);
        }
        Path layout = tmp.resolve("images");
        JsonNode manifest = Artifacts.json(Skopeo.inspectRawOciLayout(layout, "kastor-1.0.0"));
        assertThat(manifest.path("layers").size()).as("base, jar, launcher, completion and man pages, archive").isEqualTo(5);
        assertThat(String.join("\n", Images.layerFilesInLayout(layout, manifest).get(4))).contains("app/kastor.jsa");
        String configDigest = manifest.path("config").path("digest").asString().substring("sha256:".length());
        JsonNode config = Artifacts.json(Files.readString(layout.resolve("blobs/sha256").resolve(configDigest))).path("config");
        assertThat(Images.strings(config.path("Entrypoint"))).contains("-XX:SharedArchiveFile=/app/kastor.jsa", "-Xlog:cds*=off")
                .endsWith("-jar", "/app/kastor.jar");
    }
}
