package dev.kastor.steps.image;

import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.Credential;
import com.google.cloud.tools.jib.api.ImageReference;
import com.google.cloud.tools.jib.api.InvalidImageReferenceException;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.JibContainer;
import com.google.cloud.tools.jib.api.JibContainerBuilder;
import com.google.cloud.tools.jib.api.LogEvent;
import com.google.cloud.tools.jib.api.RegistryImage;
import com.google.cloud.tools.jib.api.TarImage;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import com.google.cloud.tools.jib.api.buildplan.ImageFormat;
import com.google.cloud.tools.jib.api.buildplan.Port;
import com.google.cloud.tools.jib.event.events.ProgressEvent;
import com.google.cloud.tools.jib.event.progress.ProgressEventHandler;
import dev.kastor.oci.Causes;
import dev.kastor.oci.Descriptor;
import dev.kastor.oci.InvalidInputException;
import dev.kastor.oci.KastorException;
import dev.kastor.oci.Scratch;
import dev.kastor.oci.UsageException;
import dev.kastor.oci.auth.ResolvedCredentials;
import dev.kastor.steps.log.StepLog;
import dev.kastor.steps.tls.CaTrust;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Builds one image with jib-core from an {@link ImageSpec}: no Docker daemon, layers pushed in parallel, blobs the
 * registry has skipped. Base images from an OCI layout or an OCI tar are bridged through a Docker-format tar; an
 * OCI layout target is jib's OCI tar imported into the directory.
 */
public final class ImageBuilder {
    /** What the build tells its caller while it runs: its lines, as every step does, and its progress (the CLI renders both on stderr). */
    public interface Listener extends StepLog {
        Listener NONE = new Listener() {};

        @Override
        default void info(String line) {}

        @Override
        default void warn(String line) {}

        /** Overall progress, 0..1, with the tasks still running. */
        default void progress(double fraction, List<String> running) {}
    }

    /** jib colours its error lines, terminal or not. */
    private static final Pattern ANSI = Pattern.compile("\\x1B\\[[0-9;]*[A-Za-z]");
    private static final String BASE_DIGEST = "Using base image with digest:";

    private final RegistryAccess access;
    private final Listener listener;
    private final String toolVersion;

    public ImageBuilder(RegistryAccess access, Listener listener, String toolVersion) {
        this.access = access;
        this.listener = listener;
        this.toolVersion = toolVersion;
    }

    /** Checks the local inputs (layer sources, platforms, ports, working directory) without touching a registry; {@link #build} does it too. */
    public static void check(ImageSpec spec) {
        spec.exposedPorts().forEach(ImageBuilder::port);
        workdir(spec);
        var platforms = Platforms.parse(spec.platforms());
        if (platforms.size() > 1 && !(spec.target() instanceof ImageLocation.InRegistry)) {
            throw new UsageException("several --platform values make an image index, which only a registry target holds:"
                    + " build one platform at a time for " + spec.target());
        }
        Layers.of(spec.javaApp(), spec.layers());
    }

    public BuiltImage build(ImageSpec spec) {
        // Check every input before anything is pulled or pushed, so bad input never leaves a tag behind.
        check(spec);
        var platforms = Platforms.parse(spec.platforms());
        var layers = Layers.of(spec.javaApp(), spec.layers());
        if (!access.insecure()) registryHosts(spec).forEach(host -> TlsProbe.check(host, access.caFile()));
        Path work = tempDir();
        try (var insecure = InsecureHttp.allow(access.insecure()); var trust = CaTrust.with(access.caFile())) {
            JibContainerBuilder jib = from(spec, work, platforms.size() == 1 ? spec.platforms().get(0) : null);
            jib.setFileEntriesLayers(layers);
            configure(jib, spec);
            if (!platforms.isEmpty()) jib.setPlatforms(platforms);
            boolean docker = spec.format() == ImageSpec.ImageFormat.docker;
            if (platforms.size() > 1 && !docker) {
                // jib-core 0.28 writes several platforms only as a Docker manifest list (no OCI image index yet).
                listener.info("several platforms: writing a Docker manifest list (jib-core cannot write an OCI image index yet)");
                docker = true;
            }
            jib.setFormat(docker ? ImageFormat.Docker : ImageFormat.OCI);
            jib.setCreationTime(spec.creationTime());

            Path tarOut = work.resolve("image.tar");
            Containerizer containerizer = containerizer(spec, tarOut)
                    .setAllowInsecureRegistries(access.insecure())
                    .setBaseImageLayersCache(access.cacheDir().resolve("base"))
                    .setApplicationLayersCache(work.resolve("app-cache"))
                    .setToolName("kastor")
                    .setToolVersion(toolVersion)
                    .addEventHandler(LogEvent.class, this::onLog)
                    .addEventHandler(ProgressEvent.class, new ProgressEventHandler(u -> listener.progress(u.getProgress(), u.getUnfinishedLeafTasks())));
            for (String tag : spec.tags()) containerizer.withAdditionalTag(tag);

            JibContainer result;
            try {
                result = jib.containerize(containerizer);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new KastorException("interrupted while building " + spec.target());
            } catch (Exception e) {
                throw JibFailures.translate(e, spec, access.credentials());
            }
            return result(spec, result, tarOut);
        } finally {
            Scratch.deleteQuietly(work); // a leftover temp directory is not worth failing a finished build for
        }
    }

    /** The registries a build talks to: the base's and the target's, each once. */
    private static Set<String> registryHosts(ImageSpec spec) {
        var hosts = new LinkedHashSet<String>();
        for (ImageLocation l : List.of(spec.base(), spec.target())) {
            if (l instanceof ImageLocation.InRegistry r) hosts.add(r.ref().host());
        }
        return hosts;
    }

    private BuiltImage result(ImageSpec spec, JibContainer result, Path tarOut) {
        String digest = result.getDigest().toString();
        String imageId = result.getImageId().toString();
        return switch (spec.target()) {
            case ImageLocation.InRegistry r -> {
                var tags = new ArrayList<String>();
                tags.add(r.ref().tag() == null ? "latest" : r.ref().tag());
                spec.tags().stream().filter(t -> !tags.contains(t)).forEach(tags::add);
                yield new BuiltImage(r.ref().name() + ":" + tags.get(0), digest, imageId, tags, r.ref().name());
            }
            case ImageLocation.OciLayoutDir l -> {
                String tag = l.tag() == null ? "latest" : l.tag();
                Descriptor d = OciLayoutImages.importOciTar(tarOut, l.dir(), tag);
                var tags = new ArrayList<String>(List.of(tag));
                for (String more : spec.tags()) {
                    OciLayoutImages.tagLayout(l.dir(), more, d);
                    if (!tags.contains(more)) tags.add(more);
                }
                yield new BuiltImage(ImageLocation.OCI_LAYOUT + l.dir() + ":" + tag, d.digest().toString(), imageId, tags, null);
            }
            case ImageLocation.TarFile t -> {
                try {
                    Files.createDirectories(t.file().toAbsolutePath().getParent());
                    Files.move(tarOut, t.file(), StandardCopyOption.REPLACE_EXISTING);
                } catch (IOException e) {
                    throw new KastorException("cannot write image tar " + t.file() + ": " + Causes.describe(e), e);
                }
                yield new BuiltImage(t.toString(), digest, imageId, List.of(tarName(spec)), null);
            }
            case ImageLocation.Scratch s -> throw new IllegalStateException("scratch is not a target");
        };
    }

    private JibContainerBuilder from(ImageSpec spec, Path work, String platform) {
        return switch (spec.base()) {
            case ImageLocation.Scratch s -> Jib.fromScratch();
            case ImageLocation.InRegistry r -> Jib.from(registryImage(r.ref()));
            case ImageLocation.OciLayoutDir l -> Jib.from(TarImage.at(OciLayoutImages.toDockerTar(l.dir(), l.tag(), platform, work.resolve("base.tar"))));
            case ImageLocation.TarFile t -> {
                if (!Files.isRegularFile(t.file())) throw new InvalidInputException("base image tar " + t.file() + " does not exist");
                if (OciLayoutImages.isDockerTar(t.file())) yield Jib.from(TarImage.at(t.file()));
                Path dir = OciLayoutImages.extractOciTar(t.file(), work.resolve("base-layout"));
                yield Jib.from(TarImage.at(OciLayoutImages.toDockerTar(dir, null, platform, work.resolve("base.tar"))));
            }
        };
    }

    private Containerizer containerizer(ImageSpec spec, Path tarOut) {
        return switch (spec.target()) {
            case ImageLocation.InRegistry r -> Containerizer.to(registryImage(r.ref().withTag(r.ref().tag() == null ? "latest" : r.ref().tag())));
            case ImageLocation.OciLayoutDir l -> Containerizer.to(TarImage.at(tarOut).named(jibRef("kastor.local/image:" + (l.tag() == null ? "latest" : l.tag()))));
            case ImageLocation.TarFile t -> Containerizer.to(TarImage.at(tarOut).named(jibRef(tarName(spec))));
            case ImageLocation.Scratch s -> throw new UsageException("'scratch' is not a target");
        };
    }

    private static String tarName(ImageSpec spec) {
        return spec.tags().isEmpty() ? "image:latest" : spec.tags().get(0).contains(":") ? spec.tags().get(0) : "image:" + spec.tags().get(0);
    }

    private RegistryImage registryImage(ImageRef ref) {
        RegistryImage image = RegistryImage.named(jibRef(ref.toString()));
        String host = ref.host();
        image.addCredentialRetriever(() -> {
            ResolvedCredentials c = access.credentials().apply(host);
            return c.isAnonymous() ? Optional.empty() : Optional.of(Credential.from(c.credentials().username(), c.credentials().password()));
        });
        return image;
    }

    private static ImageReference jibRef(String text) {
        try {
            return ImageReference.parse(text);
        } catch (InvalidImageReferenceException e) {
            throw new UsageException("'" + text + "' is not an image reference jib accepts: " + e.getMessage(), e);
        }
    }

    private static void configure(JibContainerBuilder jib, ImageSpec spec) {
        List<String> entrypoint = spec.entrypoint();
        if (entrypoint == null && spec.javaApp() != null) entrypoint = spec.javaApp().entrypoint();
        if (entrypoint != null) jib.setEntrypoint(entrypoint);
        if (spec.cmd() != null) jib.setProgramArguments(spec.cmd());
        spec.env().forEach(jib::addEnvironmentVariable);
        spec.labels().forEach(jib::addLabel);
        if (spec.user() != null) jib.setUser(spec.user());
        if (spec.workdir() != null) jib.setWorkingDirectory(workdir(spec));
        for (String p : spec.exposedPorts()) jib.addExposedPort(port(p));
    }

    private static AbsoluteUnixPath workdir(ImageSpec spec) {
        if (spec.workdir() == null) return null;
        if (!spec.workdir().startsWith("/")) throw new UsageException("--workdir '" + spec.workdir() + "' must be an absolute path in the image");
        return AbsoluteUnixPath.get(spec.workdir());
    }

    private static Port port(String text) {
        var m = Pattern.compile("(\\d{1,5})(?:/(tcp|udp))?").matcher(text);
        if (!m.matches() || Integer.parseInt(m.group(1)) < 1 || Integer.parseInt(m.group(1)) > 65535) {
            throw new UsageException("--expose '" + text + "' is not PORT or PORT/tcp|udp, e.g. 8080 or 53/udp");
        }
        return Port.parseProtocol(Integer.parseInt(m.group(1)), m.group(2) == null ? "tcp" : m.group(2));
    }

    /**
     * jib's log, filtered: its lifecycle lines restate Kastor's own input ("Container entrypoint set to ...") or are blank,
     * and its errors restate the exception the build ends with ({@link JibFailures} says it once, plainly), so only
     * the base image's digest and warnings (retries of a flaky registry) are passed on, without jib's ANSI colours.
     */
    private void onLog(LogEvent e) {
        String m = ANSI.matcher(e.getMessage()).replaceAll("").strip();
        if (m.isEmpty()) return;
        switch (e.getLevel()) {
            case WARN -> {
                // With --insecure-registry, jib's HTTPS-then-HTTP fallback is what the user asked for, not a warning.
                if (access.insecure() && (m.startsWith("Cannot verify server at") || m.contains("over HTTPS. Attempting again with HTTP"))) return;
                listener.warn(m);
            }
            case LIFECYCLE -> {
                if (m.startsWith(BASE_DIGEST)) listener.info("base image digest " + m.substring(BASE_DIGEST.length()).strip());
            }
            default -> { }
        }
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("kastor-image-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary directory: " + Causes.describe(e), e);
        }
    }
}
