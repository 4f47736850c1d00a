package dev.kastor.steps.image;

import dev.kastor.oci.UsageException;
import dev.kastor.steps.cli.Console;
import dev.kastor.steps.cli.Context;
import dev.kastor.steps.cli.OutputFlags;
import dev.kastor.steps.cli.RegistryFlags;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

@Command(name = "build", sortOptions = false, description = {
        "Build a container image from a base and layers, and push it to a registry, an OCI layout directory or a tar.", "",
        "Reproducible: file times and the creation time are fixed (SOURCE_DATE_EPOCH or 1970-01-01), so the same inputs give",
        "the same digest. Labels org.opencontainers.image.{created,source,revision} come from GitLab CI variables.",
        "Credentials as for kastor artifact; --retries applies to kastor image tag only (builds use jib's own retries).",
        "Examples:",
        "  kastor image build --from eclipse-temurin:21-jre --jar target/app.jar --dotenv image.env",
        "  kastor image build --from scratch --layer dist:/srv --layer bin/server:/usr/local/bin/server:755 \\",
        "      --entrypoint /usr/local/bin/server --user 65532 --to registry.example.com/group/app:1.0 --tag latest",
        "  kastor image build --from oci-layout:build/base:jre --classpath target/classes --classpath target/libs/a.jar \\",
        "      --main-class com.example.App --to tar:build/app.tar", ""})
public final class BuildCommand implements Callable<Integer> {
    private final Context ctx;

    @Option(names = "--from", required = true, paramLabel = "BASE",
            description = "Base image: host/repo:tag or @sha256:..., scratch, oci-layout:DIR[:TAG], or tar:FILE (docker save or OCI layout tar).")
    String from;

    @Option(names = "--to", paramLabel = "TARGET",
            description = "Where the image goes: host/repo:tag, oci-layout:DIR[:TAG] or tar:FILE (default: $CI_REGISTRY_IMAGE:$CI_COMMIT_SHA).")
    String to;

    @Option(names = {"-t", "--tag"}, paramLabel = "TAG", description = "Another tag for the same image (repeatable).")
    List<String> tags = new ArrayList<>();

    @Option(names = "--layer", paramLabel = "SRC:DEST[:MODE]",
            description = "A layer with file or directory SRC at DEST in the image, files with octal MODE (default 644, 755 if executable)."
                    + " Repeatable; layers stack in the order given.")
    List<String> layers = new ArrayList<>();

    @Option(names = "--jar", paramLabel = "FILE",
            description = "Java app shortcut: the jar (and the jars its Class-Path names, as a separate layer) under /app; entrypoint java -jar.")
    String jar;

    @Option(names = "--classpath", paramLabel = "PATH",
            description = "Java app shortcut, repeatable: jars become dependency layers (SNAPSHOTs apart), directories resources and classes layers.")
    List<String> classpath = new ArrayList<>();

    @Option(names = "--main-class", paramLabel = "CLASS", description = "Main class for --classpath.")
    String mainClass;

    @Option(names = "--jvm-flag", paramLabel = "FLAG", description = "A JVM flag, e.g. --jvm-flag=-XX:MaxRAMPercentage=75, for the Java app's entrypoint (repeatable).")
    List<String> jvmFlags = new ArrayList<>();

    @Option(names = "--entrypoint", paramLabel = "CMD",
            description = "Entrypoint: a JSON array, in a shell '[\"/bin/app\",\"--flag\"]', or words split at spaces; '' clears the base's.")
    String entrypoint;

    @Option(names = "--cmd", paramLabel = "ARGS", description = "Default arguments (CMD), same forms as --entrypoint.")
    String cmd;

    @Option(names = "--env", paramLabel = "K=V", description = "Environment variable (repeatable).")
    List<String> env = new ArrayList<>();

    @Option(names = "--label", paramLabel = "K=V", description = "Label (repeatable); overrides the org.opencontainers.image.* labels filled from CI.")
    List<String> labels = new ArrayList<>();

    @Option(names = "--user", paramLabel = "USER[:GROUP]", description = "User the container runs as, e.g. 65532 or 65532:65532.")
    String user;

    @Option(names = "--workdir", paramLabel = "DIR", description = "Working directory (absolute).")
    String workdir;

    @Option(names = "--expose", paramLabel = "PORT[/PROTO]", description = "Port to expose (repeatable), e.g. 8080 or 53/udp.")
    List<String> expose = new ArrayList<>();

    // The synopsis would show OS/ARCH[,OS/ARCH...], which the help's wrapping can cut at the comma.
    @Option(names = "--platform", paramLabel = "OS/ARCH", split = ",", hideParamSyntax = true,
            description = "Platform(s) to build, e.g. linux/amd64,linux/arm64: several give an image index (the base must have them).")
    List<String> platforms = new ArrayList<>();

    // Not FORMAT: picocli's completion script names its list of values after the label, and --output's is FORMAT.
    @Option(names = "--format", paramLabel = "TYPE", defaultValue = "oci",
            description = "Manifest format: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    ImageSpec.ImageFormat format = ImageSpec.ImageFormat.oci;

    @Option(names = "--creation-time", paramLabel = "TIME",
            description = "Image creation time: RFC 3339 (2026-01-02T03:04:05Z), epoch seconds, or 'now' (not reproducible)."
                    + " Default: $SOURCE_DATE_EPOCH, else 1970-01-01T00:00:00Z.")
    String creationTime;

    @Option(names = "--cache-dir", paramLabel = "DIR",
            description = "Cache for base image layers (default: $KASTOR_CACHE_DIR/jib, else ~/.cache/kastor/jib); point a GitLab CI cache at it."
                    + " Its variable is KASTOR_IMAGE_BUILD_CACHE_DIR only: KASTOR_CACHE_DIR is the root of Kastor's caches.")
    String cacheDir;

    @Mixin RegistryFlags registry;
    @Mixin OutputFlags output;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    BuildCommand(Context ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() {
        ImageSpec imageSpec = spec();
        ImageBuilder.check(imageSpec);
        var console = new Console(ctx, output.json());
        var builder = new ImageBuilder(access(), new ConsoleListener(console), Versions.kastor());
        BuiltImage built;
        try (var section = console.section("image_build", "Building " + imageSpec.target() + " from " + imageSpec.base())) {
            built = builder.build(imageSpec);
            // The "built ..." line is the result, on stdout (below); stderr only says how long it took.
            console.info(String.format(Locale.ROOT, "done in %.1f s", section.seconds()));
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("image", built.image());
        json.put("digest", built.digest());
        json.put("tags", built.tags());
        json.put("imageId", built.imageId());
        if (built.repository() != null) json.put("repository", built.repository());
        Map<String, String> env = new LinkedHashMap<>();
        env.put("KASTOR_IMAGE", built.image());
        env.put("KASTOR_IMAGE_DIGEST", built.digest());
        output.emit(ctx, "built " + built.image() + "@" + built.digest()
                + (built.tags().size() > 1 ? " (tags " + String.join(", ", built.tags()) + ")" : ""), json, env);
        return 0;
    }

    ImageSpec spec() {
        var b = ImageSpec.builder();
        b.base(ImageLocation.parse(from, ctx.workDir(), true));
        b.target(ImageLocation.parse(target(), ctx.workDir(), false));
        tags.forEach(b::tag);
        if (jar != null || !classpath.isEmpty()) {
            b.javaApp(new JavaApp(jar == null ? null : ctx.path(jar), classpath.stream().map(ctx::path).toList(), mainClass, jvmFlags,
                    JavaApp.DEFAULT_APP_ROOT));
        } else if (mainClass != null || !jvmFlags.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--main-class and --jvm-flag go with --jar or --classpath");
        }
        layers.forEach(l -> b.layer(LayerSpec.parse(l, ctx.workDir())));
        if (entrypoint != null) b.entrypoint(words(entrypoint, "--entrypoint"));
        if (cmd != null) b.cmd(words(cmd, "--cmd"));
        Instant created = creationTime();
        b.creationTime(created);
        ImageLabels.fromCi(ctx, created).forEach(b::label);
        labels.forEach(kv -> b.label(key(kv, "--label"), value(kv)));
        env.forEach(kv -> b.env(key(kv, "--env"), value(kv)));
        b.user(user).workdir(workdir).format(format);
        expose.forEach(b::expose);
        platforms.stream().map(String::strip).filter(p -> !p.isEmpty()).forEach(b::platform);
        return b.build();
    }

    private String target() {
        if (to != null) return to;
        String image = ctx.env("CI_REGISTRY_IMAGE");
        String sha = ctx.env("CI_COMMIT_SHA");
        if (image == null || sha == null) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "give --to TARGET (outside GitLab CI there is no $CI_REGISTRY_IMAGE:$CI_COMMIT_SHA default)");
        }
        return image + ":" + sha;
    }

    private RegistryAccess access() {
        Path cache = cacheDir != null ? ctx.path(cacheDir) : RegistryAccess.defaultCacheDir(ctx);
        return new RegistryAccess(registry.credentials(ctx), registry.insecure(), registry.caFile(ctx), cache);
    }

    private Instant creationTime() {
        String text = creationTime;
        String from = "--creation-time";
        if (text == null && ctx.env("SOURCE_DATE_EPOCH") != null) {
            text = ctx.env("SOURCE_DATE_EPOCH");
            from = "SOURCE_DATE_EPOCH";
        }
        if (text == null) return Instant.EPOCH;
        if (text.equals("now")) return Instant.now().truncatedTo(ChronoUnit.SECONDS);
        try {
            return text.matches("\\d+") ? Instant.ofEpochSecond(Long.parseLong(text)) : Instant.parse(text);
        } catch (DateTimeParseException | NumberFormatException e) {
            throw new UsageException(from + " '" + text + "' is neither epoch seconds nor an RFC 3339 time such as 2026-01-02T03:04:05Z");
        }
    }

    static List<String> words(String text, String option) {
        String t = text.strip();
        if (t.isEmpty()) return List.of();
        if (t.startsWith("[")) {
            try {
                var node = JsonMapper.builder().build().readTree(t);
                var out = new ArrayList<String>();
                node.forEach(n -> {
                    if (!n.isString()) throw new UsageException(option + " JSON array must hold strings only");
                    out.add(n.asString());
                });
                return out;
            } catch (JacksonException e) {
                throw new UsageException(option + " '" + text + "' starts with '[' but is not a JSON array of strings: write it with double"
                        + " quotes, in a shell " + option + " '[\"/bin/app\",\"--flag\"]', or as words: " + option + " '/bin/app --flag'");
            }
        }
        return List.of(t.split("\\s+"));
    }

    private static String key(String kv, String option) {
        int eq = kv.indexOf('=');
        if (eq <= 0) throw new UsageException(option + " '" + kv + "' must be KEY=VALUE");
        return kv.substring(0, eq);
    }

    private static String value(String kv) {
        return kv.substring(kv.indexOf('=') + 1);
    }

    /** Renders jib's lifecycle lines and a progress line at most every two seconds; {@code build-images} renders with it too. */
    public static final class ConsoleListener implements ImageBuilder.Listener {
        private final Console console;
        private long lastProgress = System.nanoTime();

        public ConsoleListener(Console console) {
            this.console = console;
        }

        @Override
        public void info(String line) {
            console.info(line);
        }

        @Override
        public void warn(String line) {
            console.warn(line);
        }

        @Override
        public synchronized void progress(double fraction, List<String> running) {
            long now = System.nanoTime();
            if (now - lastProgress < 2_000_000_000L) return;
            lastProgress = now;
            console.info(String.format(Locale.ROOT, "  %3d%% %s", (int) (fraction * 100),
                    running.isEmpty() ? "" : String.join(", ", running.subList(0, Math.min(3, running.size())))));
        }
    }
}
