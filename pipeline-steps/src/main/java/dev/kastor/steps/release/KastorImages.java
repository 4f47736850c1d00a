package dev.kastor.steps.release;

import dev.kastor.oci.InvalidInputException;
import dev.kastor.oci.flux.CreationTime;
import dev.kastor.steps.cli.Console;
import dev.kastor.steps.cli.Context;
import dev.kastor.steps.cli.OutputFlags;
import dev.kastor.steps.cli.Program;
import dev.kastor.steps.cli.RegistryFlags;
import dev.kastor.steps.image.BuildCommand;
import dev.kastor.steps.image.BuiltImage;
import dev.kastor.steps.image.ImageBuilder;
import dev.kastor.steps.image.ImageLabels;
import dev.kastor.steps.image.ImageLocation;
import dev.kastor.steps.image.ImageSpec;
import dev.kastor.steps.image.LayerSpec;
import dev.kastor.steps.image.RegistryAccess;
import dev.kastor.steps.image.Versions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Kastor's own three images, built with Kastor's own image builder (no Docker daemon), from the project's jars:
 * {@code kastor} (the pipeline steps, usable as {@code image:} of a CI job), {@code kastor-kas} and
 * {@code kastor-agent}. Each is a Java runtime base plus the jar, running as the non-root user 65532. Not a
 * {@code kastor} command: the release's tool, run by {@code scripts/build-images} (the {@code release-images} job).
 */
@Command(name = "build-images", sortOptions = false, abbreviateSynopsis = true, description = {
        "Build Kastor's own images (kastor, kastor-kas, kastor-agent) from the built jars onto a Java runtime base image.", "",
        "Examples:",
        "  scripts/build-images --to registry.example.com/kastor --tag 0.1.0 --tag latest",
        "  scripts/build-images --base registry.example.com/mirror/eclipse-temurin:21-jre --oci-layout build/images", ""},
        footer = {"", "Every option is also a variable: --insecure-registry is KASTOR_INSECURE_REGISTRY, --base is KASTOR_BASE;"
                + " the command line wins."})
public final class KastorImages implements Callable<Integer> {
    /** The non-root user (and group) of distroless images; no home directory, nothing writable but /tmp. */
    public static final String USER = "65532:65532";
    public static final String DEFAULT_BASE = "eclipse-temurin:21-jre";
    /** The kastor CLI's bash completion script and man pages, written by the build as below /usr/share (ShellDocs). */
    static final String SHARE = "pipeline-steps/target/share";
    static final List<String> JVM_FLAGS = List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto");

    /**
     * One of Kastor's images as data.
     *
     * @param name image name under the target prefix
     * @param jar the jar's file name, relative to the project root
     * @param title and {@code description} become OCI labels
     * @param ports ports the program listens on
     * @param launcher install {@code /usr/local/bin/<name>} so a CI job's script can call it by name, with its bash completion
     *     and man pages ({@link #SHARE})
     * @param fastStart serial GC and C1 only: right for a CLI step, wrong for a long-running server
     */
    public record Definition(String name, String jar, String title, String description, List<Integer> ports, boolean launcher, boolean fastStart) {
        List<String> entrypoint(String archiveFlag) {
            var cmd = new ArrayList<String>();
            cmd.add("java");
            if (fastStart) cmd.addAll(JVM_FLAGS);
            if (archiveFlag != null) {
                cmd.add(archiveFlag);
                cmd.add("-Xlog:cds*=off"); // a mismatched archive is ignored silently, never a warning in a CI log
            }
            cmd.add("-jar");
            cmd.add("/app/" + Path.of(jar).getFileName());
            return cmd;
        }
    }

    public static final List<Definition> IMAGES = List.of(
            new Definition("kastor", "pipeline-steps/target/kastor.jar", "kastor",
                    "Kastor pipeline steps: Flux OCI artifacts, daemonless images, deploy through the GitLab agent", List.of(), true, true),
            new Definition("kastor-kas", "agent-bridge/target/kastor-kas.jar", "kastor-kas",
                    "Kastor's agent server (KAS) for self-hosted GitLab agent tunnels", List.of(8150, 8153, 8154, 8155), false, false),
            new Definition("kastor-agent", "agent-bridge/target/kastor-agent.jar", "kastor-agent",
                    "Kastor's in-cluster agent: outbound tunnel to KAS", List.of(), false, false));

    private final Context ctx;

    @Option(names = "--base", paramLabel = "REF", defaultValue = DEFAULT_BASE,
            description = "Java runtime base image, 21 or newer (default: ${DEFAULT-VALUE}); oci-layout:DIR:TAG and tar:FILE work too.")
    String base = DEFAULT_BASE;

    @Option(names = "--to", paramLabel = "PREFIX", description = "Registry prefix: images go to PREFIX/kastor, PREFIX/kastor-kas, PREFIX/kastor-agent.")
    String to;

    @Option(names = "--oci-layout", paramLabel = "DIR", description = "Instead of a registry: an OCI layout directory, tags kastor-<tag>, kastor-kas-<tag>, ...")
    String ociLayout;

    @Option(names = {"-t", "--tag"}, paramLabel = "TAG", description = "Tags (repeatable; default: the project version).")
    List<String> tags = new ArrayList<>();

    @Option(names = "--root", paramLabel = "DIR", defaultValue = ".", description = "Project root holding the built jars (default: current directory).")
    String root = ".";

    @Option(names = "--cds-archive", paramLabel = "FILE",
            description = "Class-data archive of kastor.jar made with the base image's own JVM (see README); .aot files are JDK 25 AOT caches.")
    String cdsArchive;

    @Option(names = "--source", paramLabel = "URL", description = "org.opencontainers.image.source label (default: $CI_PROJECT_URL).")
    String source;

    @Option(names = "--revision", paramLabel = "SHA", description = "org.opencontainers.image.revision label (default: $CI_COMMIT_SHA).")
    String revision;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Mixin RegistryFlags registry;
    @Mixin OutputFlags output;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public KastorImages(Context ctx) {
        this.ctx = ctx;
    }

    public static void main(String[] args) {
        System.exit(run(Context.system(), args));
    }

    public static int run(Context ctx, String... args) {
        return Program.execute(new CommandLine(new KastorImages(ctx)), ctx, args);
    }

    @Override
    public Integer call() {
        if ((to == null) == (ociLayout == null)) throw new CommandLine.ParameterException(spec.commandLine(), "give --to PREFIX or --oci-layout DIR");
        if (tags.isEmpty()) tags.add(Versions.kastor().replace('+', '-'));
        Path rootDir = ctx.path(root);
        Path archive = cdsArchive == null ? null : ctx.path(cdsArchive);
        if (archive != null && !Files.isRegularFile(archive)) throw new InvalidInputException("--cds-archive " + archive + ": no such file");
        var console = new Console(ctx, output.json());
        var builder = new ImageBuilder(new RegistryAccess(registry.credentials(ctx), registry.insecure(), registry.caFile(ctx), RegistryAccess.defaultCacheDir(ctx)),
                new BuildCommand.ConsoleListener(console), Versions.kastor());
        var specs = new ArrayList<ImageSpec>();
        for (Definition d : IMAGES) specs.add(spec(d, rootDir, archive));
        specs.forEach(ImageBuilder::check); // every jar and layer is there before the first push
        var results = new ArrayList<Map<String, Object>>();
        var summary = new StringBuilder();
        for (int i = 0; i < IMAGES.size(); i++) {
            Definition d = IMAGES.get(i);
            BuiltImage built;
            try (var section = console.section("image_" + d.name().replace('-', '_'), "Building " + d.name() + " onto " + base)) {
                built = builder.build(specs.get(i));
            }
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", d.name());
            row.put("image", built.image());
            row.put("digest", built.digest());
            row.put("tags", built.tags());
            results.add(row);
            summary.append(summary.isEmpty() ? "" : "\n").append("built ").append(built.image()).append('@').append(built.digest());
        }
        output.emit(ctx, summary.toString(), results, null);
        return 0;
    }

    /** The build of one image: base, jar layer, launcher and shell completion/man page layers, optional class-data archive, config and labels. */
    ImageSpec spec(Definition d, Path rootDir, Path archive) {
        Path jar = rootDir.resolve(d.jar());
        if (!Files.isRegularFile(jar)) {
            throw new InvalidInputException(jar + " is not built: run ./mvnw -B -DskipTests package first");
        }
        var b = ImageSpec.builder().base(ImageLocation.parse(base, ctx.workDir(), true));
        String first = tags.get(0);
        if (to != null) {
            b.target(ImageLocation.parse(to.replaceAll("/+$", "") + "/" + d.name() + ":" + first, ctx.workDir(), false));
            tags.stream().skip(1).forEach(b::tag);
        } else {
            b.target(ImageLocation.parse(ImageLocation.OCI_LAYOUT + ctx.path(ociLayout) + ":" + d.name() + "-" + first, ctx.workDir(), false));
            tags.stream().skip(1).forEach(t -> b.tag(d.name() + "-" + t));
        }
        b.layer(new LayerSpec(d.name() + " jar", jar, "/app/" + jar.getFileName(), "644"));
        String archiveFlag = null;
        if (d.launcher()) {
            b.layer(new LayerSpec(d.name() + " launcher", launcher(d, archive), "/usr/local/bin/" + d.name(), "755"));
            Path share = rootDir.resolve(SHARE);
            if (!Files.isDirectory(share)) throw new InvalidInputException(share + " is not built: run ./mvnw -B -DskipTests package first");
            b.layer(new LayerSpec(d.name() + " completion and man pages", share, "/usr/share", "644"));
            if (archive != null) {
                boolean aot = archive.getFileName().toString().endsWith(".aot");
                String inImage = "/app/" + d.name() + (aot ? ".aot" : ".jsa");
                b.layer(new LayerSpec(d.name() + " class-data archive", archive, inImage, "644"));
                archiveFlag = (aot ? "-XX:AOTCache=" : "-XX:SharedArchiveFile=") + inImage;
            }
        }
        b.entrypoint(d.entrypoint(archiveFlag)).cmd(List.of()).user(USER);
        // The jib cache of `kastor image build` must be writable by 65532, which has no home directory.
        if (d.name().equals("kastor")) b.env("KASTOR_CACHE_DIR", "/tmp/kastor-cache");
        d.ports().forEach(p -> b.expose(String.valueOf(p)));
        Instant created = ctx.env("SOURCE_DATE_EPOCH") != null ? CreationTime.fromEpoch(ctx.env("SOURCE_DATE_EPOCH")) : Instant.EPOCH;
        b.creationTime(created);
        ImageLabels.fromCi(ctx, created).forEach(b::label);
        b.label("org.opencontainers.image.title", d.title());
        b.label("org.opencontainers.image.description", d.description());
        b.label("org.opencontainers.image.version", Versions.kastor());
        b.label("org.opencontainers.image.base.name", base);
        if (source != null) b.label(ImageLabels.SOURCE, source);
        if (revision != null) b.label(ImageLabels.REVISION, revision);
        return b.build();
    }

    /** {@code /usr/local/bin/kastor}: lets a CI job's {@code script:} say {@code kastor ...} with the image's entrypoint cleared. */
    private Path launcher(Definition d, Path archive) {
        String archiveFlag = "";
        if (archive != null) {
            boolean aot = archive.getFileName().toString().endsWith(".aot");
            archiveFlag = (aot ? " -XX:AOTCache=/app/" + d.name() + ".aot" : " -XX:SharedArchiveFile=/app/" + d.name() + ".jsa") + " -Xlog:cds*=off";
        }
        String script = "#!/bin/sh\n"
                + "# " + d.name() + " in its image: the same JVM flags as the image's entrypoint (see Kastor's README).\n"
                + "exec java " + String.join(" ", JVM_FLAGS) + archiveFlag + " -jar /app/" + Path.of(d.jar()).getFileName() + " \"$@\"\n";
        try {
            Path dir = Files.createTempDirectory("kastor-launcher-");
            dir.toFile().deleteOnExit();
            Path file = dir.resolve(d.name());
            Files.writeString(file, script);
            file.toFile().deleteOnExit();
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
