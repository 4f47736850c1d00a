package dev.kastor.steps;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.oci.registry.Registry;
import dev.kastor.oci.registry.RegistryOptions;
import dev.kastor.testing.RegistryServer;
import dev.kastor.testing.Skopeo;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** Bases (registry, OCI layout, tar, image index) and targets (OCI layout, tar), and the Java app shortcut. */
class ImageSourcesTest {
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

    private KastorRun.Result kastor(String... args) {
        var r = KastorRun.in(tmp).run(args);
        assertThat(r.exit()).as(r.toString()).isZero();
        return r;
    }

    private Path file(String rel, String content) {
        return Artifacts.write(tmp, Map.of(rel, content)).resolve(rel);
    }

    private static void jar(Path jar, String classPath, Map<String, String> entries) throws IOException {
        var manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        if (classPath != null) manifest.getMainAttributes().put(Attributes.Name.CLASS_PATH, classPath);
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "com.example.App");
        Files.createDirectories(jar.getParent());
        try (OutputStream out = Files.newOutputStream(jar); var j = new JarOutputStream(out, manifest)) {
            for (var e : entries.entrySet()) {
                j.putNextEntry(new JarEntry(e.getKey()));
                j.write(e.getValue().getBytes(StandardCharsets.UTF_8));
                j.closeEntry();
            }
        }
    }

    @Test
    void jarAppPutsDependenciesSnapshotsAndTheJarInSeparateLayers() throws Exception {
        jar(tmp.resolve("target/lib/dep-1.0.jar"), null, Map.of("dep/A.class", "a"));
        jar(tmp.resolve("target/lib/tool-2.0-SNAPSHOT.jar"), null, Map.of("tool/B.class", "b"));
        jar(tmp.resolve("target/app.jar"), "lib/dep-1.0.jar lib/tool-2.0-SNAPSHOT.jar", Map.of("com/example/App.class", "c"));

        kastor("image", "build", "--insecure-registry", "--from", "scratch", "--jar", "target/app.jar", "--jvm-flag=-Xss512k",
                "--to", registry.host() + "/java/jar:v1");

        String image = registry.host() + "/java/jar:v1";
        assertThat(Images.strings(Images.config(image).path("Entrypoint"))).containsExactly("java", "-Xss512k", "-jar", "/app/app.jar");
        List<List<String>> layers = Images.layerFiles(image, tmp);
        assertThat(layers).hasSize(3);
        assertThat(String.join("\n", layers.get(0))).contains("app/lib/dep-1.0.jar").doesNotContain("SNAPSHOT");
        assertThat(String.join("\n", layers.get(1))).contains("app/lib/tool-2.0-SNAPSHOT.jar");
        assertThat(String.join("\n", layers.get(2))).contains("app/app.jar").doesNotContain("lib/");
    }

    @Test
    void classpathAppSplitsResourcesFromClasses() throws Exception {
        file("classes/com/example/App.class", "bytecode");
        file("classes/application.properties", "a=b\n");
        jar(tmp.resolve("libs/dep-1.0.jar"), null, Map.of("dep/A.class", "a"));

        kastor("image", "build", "--insecure-registry", "--from", "scratch", "--classpath", "classes", "--classpath", "libs/dep-1.0.jar",
                "--main-class", "com.example.App", "--to", registry.host() + "/java/cp:v1");

        String image = registry.host() + "/java/cp:v1";
        assertThat(Images.strings(Images.config(image).path("Entrypoint")))
                .containsExactly("java", "-cp", "/app/resources:/app/classes:/app/libs/*", "com.example.App");
        List<List<String>> layers = Images.layerFiles(image, tmp);
        assertThat(layers).hasSize(3);
        assertThat(String.join("\n", layers.get(0))).contains("app/libs/dep-1.0.jar");
        assertThat(String.join("\n", layers.get(1))).contains("app/resources/application.properties").doesNotContain(".class");
        assertThat(String.join("\n", layers.get(2))).contains("app/classes/com/example/App.class").doesNotContain(".properties");
    }

    @Test
    void registryBaseKeepsItsLayersAndConfigurationUnderTheNewOnes() {
        file("base/opt/java/bin/java", "#!/bin/sh\n");
        kastor("image", "build", "--insecure-registry", "--from", "scratch", "--layer", "base:/", "--env", "JAVA_HOME=/opt/java",
                "--entrypoint", "/opt/java/bin/java", "--to", registry.host() + "/bases/jre:1");
        file("app/app.jar", "jar");

        kastor("image", "build", "--insecure-registry", "--from", registry.host() + "/bases/jre:1", "--layer", "app/app.jar:/app/",
                "--env", "APP=1", "--to", registry.host() + "/bases/app:1");

        String image = registry.host() + "/bases/app:1";
        JsonNode config = Images.config(image);
        assertThat(Images.strings(config.path("Env"))).contains("JAVA_HOME=/opt/java", "APP=1");
        assertThat(Images.strings(config.path("Entrypoint"))).containsExactly("/opt/java/bin/java");
        List<List<String>> layers = Images.layerFiles(image, tmp);
        assertThat(layers).hasSize(2);
        assertThat(String.join("\n", layers.get(0))).contains("opt/java/bin/java");
        assertThat(String.join("\n", layers.get(1))).contains("app/app.jar");
    }

    @Test
    void ociLayoutTargetIsReadableBySkopeoAndServesAsABase() {
        file("base/etc/motd", "hi\n");
        kastor("image", "build", "--from", "scratch", "--layer", "base:/", "--user", "65532", "--to", "oci-layout:build/oci:base");
        JsonNode baseManifest = Artifacts.json(Skopeo.inspectRawOciLayout(tmp.resolve("build/oci"), "base"));
        assertThat(baseManifest.path("layers").size()).isEqualTo(1);
        file("app/run.sh", "#!/bin/sh\n");

        var r = kastor("image", "build", "--insecure-registry", "--from", "oci-layout:build/oci:base", "--layer", "app:/app",
                "--to", registry.host() + "/layout/app:1", "--output", "json");

        String image = registry.host() + "/layout/app:1";
        assertThat(Images.config(image).path("User").asString()).isEqualTo("65532");
        JsonNode manifest = Images.manifest(image);
        assertThat(manifest.path("layers").size()).isEqualTo(2);
        assertThat(manifest.path("layers").get(0).path("digest").asString()).isEqualTo(baseManifest.path("layers").get(0).path("digest").asString());
        assertThat(r.json().get("digest").asString()).isEqualTo(Artifacts.sha256(Skopeo.inspectRaw(image, null)));
    }

    @Test
    void tarTargetServesAsABase() {
        file("base/etc/motd", "hi\n");
        var t = kastor("image", "build", "--from", "scratch", "--layer", "base:/", "--to", "tar:build/base.tar", "--output", "json");
        assertThat(Files.isRegularFile(tmp.resolve("build/base.tar"))).isTrue();
        assertThat(t.json().get("image").asString()).startsWith("tar:");
        file("app/run.sh", "#!/bin/sh\n");

        kastor("image", "build", "--insecure-registry", "--from", "tar:build/base.tar", "--layer", "app:/app", "--to", registry.host() + "/tar/app:1");

        List<List<String>> layers = Images.layerFiles(registry.host() + "/tar/app:1", tmp);
        assertThat(layers).hasSize(2);
        assertThat(String.join("\n", layers.get(0))).contains("etc/motd");
        assertThat(String.join("\n", layers.get(1))).contains("app/run.sh");
    }

    @Test
    void dockerFormatTarIsADockerSaveTarThatServesAsABase() {
        file("base/etc/motd", "hi\n");
        kastor("image", "build", "--from", "scratch", "--layer", "base:/", "--format", "docker", "--to", "tar:build/docker.tar");
        String listing = dev.kastor.testing.Programs.check(List.of("tar", "-tf", tmp.resolve("build/docker.tar").toString()), 60);
        assertThat(listing).contains("manifest.json");
        file("app/run.sh", "#!/bin/sh\n");

        kastor("image", "build", "--insecure-registry", "--from", "tar:build/docker.tar", "--layer", "app:/app", "--format", "docker",
                "--to", registry.host() + "/tar/docker:1");

        JsonNode manifest = Images.manifest(registry.host() + "/tar/docker:1");
        assertThat(manifest.path("mediaType").asString()).isEqualTo("application/vnd.docker.distribution.manifest.v2+json");
        assertThat(manifest.path("layers").size()).isEqualTo(2);
    }

    @Test
    void severalPlatformsOnAMultiPlatformBaseGiveAnImageIndex() {
        file("base/etc/motd", "hi\n");
        var amd = kastor("image", "build", "--insecure-registry", "--from", "scratch", "--layer", "base:/", "--platform", "linux/amd64",
                "--to", registry.host() + "/multi/base:amd64", "--output", "json");
        var arm = kastor("image", "build", "--insecure-registry", "--from", "scratch", "--layer", "base:/", "--platform", "linux/arm64",
                "--to", registry.host() + "/multi/base:arm64", "--output", "json");
        pushIndex("multi/base", "latest", amd.json().get("digest").asString(), "amd64", arm.json().get("digest").asString(), "arm64");
        file("app/run.sh", "#!/bin/sh\n");

        var r = kastor("image", "build", "--insecure-registry", "--from", registry.host() + "/multi/base:latest", "--layer", "app:/app",
                "--platform", "linux/amd64,linux/arm64", "--to", registry.host() + "/multi/app:1", "--output", "json");

        JsonNode index = Images.manifest(registry.host() + "/multi/app:1");
        assertThat(index.path("manifests").size()).as(index.toString()).isEqualTo(2);
        var archs = new java.util.ArrayList<String>();
        index.path("manifests").forEach(m -> archs.add(m.path("platform").path("architecture").asString()));
        assertThat(archs).containsExactlyInAnyOrder("amd64", "arm64");
        // jib-core 0.28 writes several platforms as a Docker manifest list only; registries and runtimes take both forms.
        assertThat(index.path("mediaType").asString()).isEqualTo("application/vnd.docker.distribution.manifest.list.v2+json");
        assertThat(r.json().get("digest").asString()).isEqualTo(Artifacts.sha256(Skopeo.inspectRaw(registry.host() + "/multi/app:1", null)));
    }

    private static void pushIndex(String repo, String tag, String first, String firstArch, String second, String secondArch) {
        Registry reg = Registry.connect(registry.host(), RegistryOptions.builder().insecure(true).build());
        var entries = new StringBuilder();
        for (String[] m : new String[][] {{first, firstArch}, {second, secondArch}}) {
            var manifest = reg.getManifest(repo, m[0]);
            if (!entries.isEmpty()) entries.append(',');
            entries.append("{\"mediaType\":\"").append(manifest.mediaType()).append("\",\"digest\":\"").append(m[0])
                    .append("\",\"size\":").append(manifest.bytes().length)
                    .append(",\"platform\":{\"architecture\":\"").append(m[1]).append("\",\"os\":\"linux\"}}");
        }
        String index = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[" + entries + "]}";
        reg.pushManifest(repo, tag, index.getBytes(StandardCharsets.UTF_8), "application/vnd.oci.image.index.v1+json");
    }
}
