package dev.kastor.steps.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kastor.oci.auth.ResolvedCredentials;
import dev.kastor.oci.registry.RegistryException;
import dev.kastor.steps.Artifacts;
import dev.kastor.testing.RegistryWithFaultProxy;
import dev.kastor.testing.Skopeo;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ImageBuilder} on its own, without the command: specs in, images onto a real registry, a {@link BuiltImage}
 * and listener calls out. What was pushed is read back with skopeo, so the test never agrees with Kastor by sharing
 * its bugs. The whole {@code kastor image build} is in ImageBuildTest.
 */
class ImageBuilderTest {
    @RegisterExtension
    static final RegistryWithFaultProxy REGISTRY = new RegistryWithFaultProxy();

    @TempDir
    Path tmp;

    private final Recorder listener = new Recorder();

    /** Everything the builder tells its listener. */
    private static final class Recorder implements ImageBuilder.Listener {
        final List<String> logs = new CopyOnWriteArrayList<>();
        final List<String> warnings = new CopyOnWriteArrayList<>();

        @Override
        public void info(String line) {
            logs.add(line);
        }

        @Override
        public void warn(String line) {
            warnings.add(line);
        }
    }

    private BuiltImage build(ImageLocation base, Path layer, String target, String... tags) {
        var access = new RegistryAccess(host -> ResolvedCredentials.anonymous(), true, null, tmp.resolve("cache"));
        var spec = ImageSpec.builder().base(base).layer(new LayerSpec("app", layer, "/app", null))
                .target(new ImageLocation.InRegistry(ImageRef.parse(REGISTRY.server().host() + "/" + target)));
        List.of(tags).forEach(spec::tag);
        return new ImageBuilder(access, listener, "test").build(spec.build());
    }

    private Path app(String index) {
        return Artifacts.write(tmp.resolve("app"), Map.of("index.html", index, "css/app.css", "body{}\n"));
    }

    private static String servedDigest(String repoTag) {
        return Artifacts.sha256(Skopeo.inspectRaw(REGISTRY.server().host() + "/" + repoTag, null));
    }

    @Test
    void builtImageNamesTheDigestTheRegistryServesUnderEveryTag() {
        BuiltImage built = build(new ImageLocation.Scratch(), app("<h1>hello</h1>\n"), "builder/app:v1", "extra");

        assertThat(built.image()).isEqualTo(REGISTRY.server().host() + "/builder/app:v1");
        assertThat(built.repository()).isEqualTo(REGISTRY.server().host() + "/builder/app");
        assertThat(built.tags()).containsExactly("v1", "extra");
        assertThat(built.digest()).isEqualTo(servedDigest("builder/app:v1")).isEqualTo(servedDigest("builder/app:extra"));
    }

    @Test
    void sameContentGivesTheSameDigestWhateverTheFileTimesAndOnlyAChangedFileChangesIt() throws Exception {
        Path src = app("<h1>hello</h1>\n");
        String first = build(new ImageLocation.Scratch(), src, "repro/app:a").digest();
        // Another checkout: new modification times and another umask must not change the image.
        Files.setLastModifiedTime(src.resolve("index.html"), FileTime.fromMillis(System.currentTimeMillis() + 86_400_000L));
        src.resolve("css/app.css").toFile().setWritable(false, false);
        String again = build(new ImageLocation.Scratch(), src, "repro/app:b").digest();
        Files.writeString(src.resolve("index.html"), "<h1>hello!</h1>\n");
        String changed = build(new ImageLocation.Scratch(), src, "repro/app:c").digest();

        assertThat(again).isEqualTo(first);
        assertThat(changed).isNotEqualTo(first);
    }

    @Test
    void buildOnARegistryBaseTellsTheListenerTheBaseDigestAndWarnsOnlyOfAnUnpinnedBase() {
        BuiltImage base = build(new ImageLocation.Scratch(), app("base\n"), "layered/base:1");
        Path more = Artifacts.write(tmp.resolve("more"), Map.of("more.txt", "more\n"));
        listener.logs.clear();

        String pinned = REGISTRY.server().host() + "/layered/base@" + base.digest();
        BuiltImage built = build(new ImageLocation.InRegistry(ImageRef.parse(pinned)), more, "layered/app:1");
        assertThat(listener.logs).containsExactly("base image digest " + base.digest());
        assertThat(listener.warnings).isEmpty();
        assertThat(built.digest()).isEqualTo(servedDigest("layered/app:1"));

        build(new ImageLocation.InRegistry(ImageRef.parse(REGISTRY.server().host() + "/layered/base:1")), more, "layered/app:2");
        assertThat(listener.warnings).containsExactly("Base image '" + REGISTRY.server().host() + "/layered/base:1'"
                + " does not use a specific image digest - build may not be reproducible");
    }

    @Test
    void missingBaseImageFailsAsNotFoundNamingTheBaseAndPushesNoTag() throws Exception {
        var missing = new ImageLocation.InRegistry(ImageRef.parse(REGISTRY.server().host() + "/nowhere/base:1"));

        assertThatThrownBy(() -> build(missing, app("x\n"), "orphan/app:1"))
                .isInstanceOf(RegistryException.NotFound.class)
                .hasMessageStartingWith("base image " + REGISTRY.server().host() + "/nowhere/base:1 not found: ")
                .hasMessageEndingWith("(check the reference, and that the credentials may read it)");
        try (HttpClient http = HttpClient.newHttpClient()) {
            var head = HttpRequest.newBuilder(URI.create(REGISTRY.server().url() + "/v2/orphan/app/manifests/1"))
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()).header("Accept", Artifacts.OCI_MANIFEST).build();
            assertThat(http.send(head, HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(404);
        }
    }
}
