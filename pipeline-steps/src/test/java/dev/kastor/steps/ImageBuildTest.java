package dev.kastor.steps;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.testing.RegistryWithFaultProxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** {@code kastor image build | tag} against a real registry; what was pushed is read back with skopeo and GNU tar. */
class ImageBuildTest {
    private static final String SHA = "0123456789abcdef0123456789abcdef01234567";

    @RegisterExtension
    static final RegistryWithFaultProxy REGISTRY = new RegistryWithFaultProxy();

    @TempDir
    Path tmp;

    private Path app() {
        Path dir = Artifacts.write(tmp.resolve("src"), Map.of(
                "site/index.html", "<h1>hello</h1>\n",
                "site/css/app.css", "body{}\n",
                "bin/server", "#!/bin/sh\necho serving\n"));
        dir.resolve("bin/server").toFile().setExecutable(true);
        return dir;
    }

    private KastorRun.Result build(String... args) {
        var all = new java.util.ArrayList<>(List.of("image", "build", "--insecure-registry"));
        all.addAll(List.of(args));
        return KastorRun.in(tmp).env(Map.of("CI_PROJECT_URL", "https://gitlab.example.com/group/app", "CI_COMMIT_SHA", SHA))
                .run(all.toArray(String[]::new));
    }

    @Test
    void buildFromScratchPushesLayersInOrderWithTheConfigurationAsked() {
        Path src = app();
        var r = build("--from", "scratch", "--layer", src.resolve("site") + ":/srv/www", "--layer", src.resolve("bin/server") + ":/usr/local/bin/",
                "--entrypoint", "[\"/usr/local/bin/server\", \"--port\", \"8080\"]", "--cmd", "--verbose", "--env", "MODE=prod",
                "--label", "team=web", "--user", "65532:65532", "--workdir", "/srv/www", "--expose", "8080",
                "--to", REGISTRY.server().host() + "/web/app:v1", "--output", "json");

        assertThat(r.exit()).as(r.toString()).isZero();
        String image = REGISTRY.server().host() + "/web/app:v1";
        JsonNode config = Images.config(image);
        assertThat(Images.strings(config.path("Entrypoint"))).containsExactly("/usr/local/bin/server", "--port", "8080");
        assertThat(Images.strings(config.path("Cmd"))).containsExactly("--verbose");
        assertThat(Images.strings(config.path("Env"))).contains("MODE=prod");
        assertThat(config.path("User").asString()).isEqualTo("65532:65532");
        assertThat(config.path("WorkingDir").asString()).isEqualTo("/srv/www");
        assertThat(config.path("ExposedPorts").has("8080/tcp")).isTrue();
        assertThat(config.path("Labels").path("team").asString()).isEqualTo("web");
        assertThat(config.path("Labels").path("org.opencontainers.image.source").asString()).isEqualTo("https://gitlab.example.com/group/app");
        assertThat(config.path("Labels").path("org.opencontainers.image.revision").asString()).isEqualTo(SHA);
        assertThat(config.path("Labels").path("org.opencontainers.image.created").asString()).isEqualTo("1970-01-01T00:00:00Z");

        JsonNode manifest = Images.manifest(image);
        assertThat(manifest.path("mediaType").asString()).isEqualTo("application/vnd.oci.image.manifest.v1+json");
        assertThat(Artifacts.sha256(dev.kastor.testing.Skopeo.inspectRaw(image, null))).isEqualTo(r.json().get("digest").asString());
        List<List<String>> layers = Images.layerFiles(image, tmp);
        assertThat(layers).hasSize(2);
        assertThat(String.join("\n", layers.get(0))).contains("srv/www/index.html").contains("srv/www/css/app.css").doesNotContain("server");
        assertThat(String.join("\n", layers.get(1))).contains("usr/local/bin/server").doesNotContain("index.html");
        assertThat(layers.get(1).stream().filter(l -> l.endsWith("usr/local/bin/server")).findFirst().orElseThrow()).startsWith("-rwxr-xr-x");
        assertThat(layers.get(0).stream().filter(l -> l.endsWith("index.html")).findFirst().orElseThrow()).startsWith("-rw-r--r--");
    }

    @Test
    void resultIsPrintedOnceOnStdoutAndStderrHasNoneOfJibsOwnLines() {
        Path src = app();
        var base = build("--from", "scratch", "--layer", src.resolve("site") + ":/srv/www", "--to", REGISTRY.server().host() + "/chatter/base:1");
        var r = build("--from", REGISTRY.server().host() + "/chatter/base:1", "--layer", src.resolve("bin/server") + ":/usr/local/bin/server",
                "--entrypoint", "/usr/local/bin/server --port 8080", "--cmd", "--verbose", "--to", REGISTRY.server().host() + "/chatter/app:v1");

        assertThat(base.exit()).as(base.toString()).isZero();
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out().lines().toList()).as(r.toString()).singleElement().asString()
                .matches("built " + java.util.regex.Pattern.quote(REGISTRY.server().host() + "/chatter/app:v1") + "@sha256:[0-9a-f]{64}");
        assertThat(r.err()).as(r.toString()).doesNotContain("built", "Container entrypoint", "Container program arguments", "\u001b")
                .contains("base image digest sha256:");
        assertThat(r.err().lines()).as(r.toString()).noneMatch(String::isBlank);
    }

    @Test
    void rebuildOfTheSameInputsGivesTheSameDigest() throws Exception {
        Path src = app();
        var first = build("--from", "scratch", "--layer", src + ":/app", "--to", REGISTRY.server().host() + "/repro/app:a", "--output", "json");
        // Another checkout: new modification times and another umask must not change the image.
        for (String f : List.of("site/index.html", "site/css/app.css", "bin/server")) {
            Files.setLastModifiedTime(src.resolve(f), FileTime.fromMillis(System.currentTimeMillis() + 86_400_000L));
        }
        src.resolve("site/index.html").toFile().setWritable(false, false);
        var second = build("--from", "scratch", "--layer", src + ":/app", "--to", REGISTRY.server().host() + "/repro/app:b", "--output", "json");

        assertThat(first.exit()).as(first.toString()).isZero();
        assertThat(second.exit()).as(second.toString()).isZero();
        assertThat(second.json().get("digest").asString()).isEqualTo(first.json().get("digest").asString());
    }

    @Test
    void sourceDateEpochSetsTheCreationTime() {
        Path src = app();
        var r = KastorRun.in(tmp).env("SOURCE_DATE_EPOCH", "1767225600")
                .run("image", "build", "--insecure-registry", "--from", "scratch", "--layer", src + ":/app", "--to", REGISTRY.server().host() + "/repro/epoch:v1");

        assertThat(r.exit()).as(r.toString()).isZero();
        JsonNode full = Artifacts.json(dev.kastor.testing.Skopeo.inspectConfig(REGISTRY.server().host() + "/repro/epoch:v1", null));
        assertThat(full.path("created").asString()).startsWith("2026-01-01T00:00:00");
        assertThat(full.path("config").path("Labels").path("org.opencontainers.image.created").asString()).isEqualTo("2026-01-01T00:00:00Z");
    }

    @Test
    void tagAddsATagWithoutMovingLayers() throws Exception {
        Path src = app();
        var built = build("--from", "scratch", "--layer", src + ":/app", "--to", REGISTRY.server().host() + "/tagged/app:" + SHA, "--output", "json");
        assertThat(built.exit()).as(built.toString()).isZero();
        REGISTRY.proxy().clear();

        var r = KastorRun.in(tmp).run("image", "tag", REGISTRY.proxy().host() + "/tagged/app:" + SHA, "--tag", "v1.2.3", "--tag", "latest",
                "--insecure-registry", "--output", "json", "--dotenv", "image.env");

        assertThat(r.exit()).as(r.toString()).isZero();
        String digest = built.json().get("digest").asString();
        assertThat(r.json().get("digest").asString()).isEqualTo(digest);
        assertThat(Artifacts.sha256(dev.kastor.testing.Skopeo.inspectRaw(REGISTRY.server().host() + "/tagged/app:v1.2.3", null))).isEqualTo(digest);
        assertThat(Artifacts.sha256(dev.kastor.testing.Skopeo.inspectRaw(REGISTRY.server().host() + "/tagged/app:latest", null))).isEqualTo(digest);
        assertThat(REGISTRY.proxy().requests("POST|PATCH|PUT|GET|HEAD", "/blobs/")).as("blob traffic of a retag").isEmpty();
        assertThat(REGISTRY.proxy().requests("PUT", "/manifests/")).hasSize(2);
        assertThat(Files.readAllLines(tmp.resolve("image.env")))
                .containsExactly("KASTOR_IMAGE=" + REGISTRY.proxy().host() + "/tagged/app:v1.2.3", "KASTOR_IMAGE_DIGEST=" + digest);
    }

    @Test
    void dotenvAndJsonCarryImageAndDigest() throws Exception {
        Path src = app();
        var r = build("--from", "scratch", "--layer", src + ":/app", "--to", REGISTRY.server().host() + "/out/app:v1", "--tag", "main",
                "--output", "json", "--dotenv", "image.env");

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.json().get("image").asString()).isEqualTo(REGISTRY.server().host() + "/out/app:v1");
        assertThat(Images.strings(r.json().get("tags"))).containsExactly("v1", "main");
        String digest = r.json().get("digest").asString();
        assertThat(Files.readAllLines(tmp.resolve("image.env")))
                .containsExactly("KASTOR_IMAGE=" + REGISTRY.server().host() + "/out/app:v1", "KASTOR_IMAGE_DIGEST=" + digest);
        assertThat(Artifacts.sha256(dev.kastor.testing.Skopeo.inspectRaw(REGISTRY.server().host() + "/out/app:main", null))).isEqualTo(digest);
    }

    @Test
    void defaultTargetIsTheCiRegistryImageAtTheCommit() {
        Path src = app();
        var r = KastorRun.in(tmp).env(Map.of("CI_REGISTRY_IMAGE", REGISTRY.server().host() + "/group/project", "CI_COMMIT_SHA", SHA))
                .run("image", "build", "--insecure-registry", "--from", "scratch", "--layer", src + ":/app");

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains(REGISTRY.server().host() + "/group/project:" + SHA + "@sha256:");
        assertThat(Images.manifest(REGISTRY.server().host() + "/group/project:" + SHA).path("layers").size()).isEqualTo(1);
    }
}
