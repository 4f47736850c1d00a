package dev.kastor.steps;

import dev.kastor.steps.artifact.ArtifactCommand;
import dev.kastor.steps.cli.CompletionCommand;
import dev.kastor.steps.cli.Context;
import dev.kastor.steps.cli.ExitCode;
import dev.kastor.steps.cli.HelpCommand;
import dev.kastor.steps.cli.OptionVariables;
import dev.kastor.steps.cli.Program;
import dev.kastor.steps.flux.FluxCommand;
import dev.kastor.steps.image.ImageCommand;
import dev.kastor.steps.image.Versions;
import dev.kastor.steps.kube.KubeCommand;
import dev.kastor.steps.status.StatusCommand;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine;

@Command(name = "kastor", mixinStandardHelpOptions = true, scope = ScopeType.INHERIT,
        versionProvider = Kastor.Version.class,
        description = {"Deliver from a GitLab pipeline to Kubernetes: Flux OCI artifacts, daemonless images,",
                "push-based apply through the GitLab agent, Flux sync wait and commit-status reporting.", ""},
        subcommands = {ArtifactCommand.class, ImageCommand.class, KubeCommand.class, FluxCommand.class, StatusCommand.class,
                CompletionCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:ok", "1:the step failed (message on stderr says what and how to fix)",
                "2:usage error (unknown option, missing or empty argument, malformed option or variable value)", "3:kastor artifact diff / kube diff found differences",
                "4:timed out waiting (flux wait, kube apply --wait): not failed, not done yet"},
        footer = {"", "GitLab CI variables (CI_REGISTRY, CI_COMMIT_SHA, ...) fill the defaults. Docs: README.md",
                OptionVariables.RULE, OptionVariables.RULE_CONTINUED})
public final class Kastor implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /**
     * The JDK HTTP client reads a response into 16 KiB buffers, and after each one its reader asks the selector thread
     * for more through a wake-up (an eventfd write and a selector pass): 4,000 times for a 63 MiB layer. In 256 KiB
     * buffers a pull of 10,000 files into tmpfs took 10% less time and 8% less CPU (docs/benchmarks.md). Set before
     * the client's classes are initialised, since they read it once; a value given with -D wins.
     */
    private static final String HTTP_BUFFER_PROPERTY = "jdk.httpclient.bufsize";
    private static final int HTTP_BUFFER_BYTES = 256 * 1024;

    public static void main(String[] args) {
        if (System.getProperty(HTTP_BUFFER_PROPERTY) == null) System.setProperty(HTTP_BUFFER_PROPERTY, String.valueOf(HTTP_BUFFER_BYTES));
        // Exit explicitly: library thread pools must never keep a CI job alive after the step is done.
        System.exit(run(Context.system(), args));
    }

    /** Runs one command line against the given context; tests call this in-process. */
    public static int run(Context ctx, String... args) {
        if (asksOnlyVersion(args)) return printVersion(ctx);
        var cmd = commandLine(new Kastor(), new Factory(ctx), pathNamedIn(args));
        cmd.setCaseInsensitiveEnumValuesAllowed(true);
        return Program.execute(cmd, ctx, args);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: pick one of artifact, image, kube, flux, status, completion");
    }

    /**
     * {@code kastor --version} (or {@code -V}) alone: picocli would print exactly {@link Version}'s line, but only after
     * building the root's model by reflection, which was most of the command's time above the JVM's own start. The
     * help and version options are never set by a variable ({@link OptionVariables}), so nothing else can change the
     * outcome. Any other argument beside it goes through picocli as before.
     */
    static boolean asksOnlyVersion(String... args) {
        return args.length == 1 && (args[0].equals("--version") || args[0].equals("-V"));
    }

    private static int printVersion(Context ctx) {
        for (String line : new Version().getVersion()) ctx.out().println(line);
        ctx.out().flush();
        return ExitCode.OK;
    }

    /**
     * The command tree for one run. picocli would model every verb of every group by reflection on each start, which
     * a CI step pays for; so only the commands the command line names are modelled ({@code artifact} and its
     * {@code push} in {@code kastor artifact push ...}), and every other command is a name and a description for the
     * help of its parent. {@code path} null gives the whole tree ({@code kastor help ...}, completion, the docs). The
     * {@code @Command} annotations stay the one list of groups and verbs. Every command's help footer says how its
     * options are also variables ({@link OptionVariables}).
     */
    static CommandLine commandLine(Kastor kastor, Factory factory, List<String> path) {
        CommandLine cmd = path == null ? new CommandLine(kastor, factory) : modelledAlong(kastor, factory, path);
        HelpCommand.addTo(cmd, factory); // kastor help artifact push, kastor artifact help push
        OptionVariables.describeIn(cmd);
        return cmd;
    }

    /**
     * {@code command} from its {@code @Command} annotation, with the subcommand named {@code path.get(0)} modelled
     * (itself along the rest of the path) and every other one a placeholder; a subcommand at the end of the path, or
     * one without subcommands of its own, is modelled whole.
     */
    private static CommandLine modelledAlong(Object command, Factory factory, List<String> path) {
        Command a = command.getClass().getAnnotation(Command.class);
        var spec = CommandLine.Model.CommandSpec.wrapWithoutInspection(command, factory);
        spec.updateCommandAttributes(a, factory); // all the annotation says but its subcommands
        spec.mixinStandardHelpOptions(a.mixinStandardHelpOptions());
        injectSpec(command, spec);
        var cmd = new CommandLine(spec, factory);
        for (Class<?> sub : a.subcommands()) {
            Command s = sub.getAnnotation(Command.class);
            if (!path.isEmpty() && (s.name().equals(path.get(0)) || Arrays.asList(s.aliases()).contains(path.get(0)))) {
                Object created = create(factory, sub);
                boolean further = path.size() > 1 && s.subcommands().length > 0;
                cmd.addSubcommand(further ? modelledAlong(created, factory, path.subList(1, path.size())) : new CommandLine(created, factory));
            } else {
                var placeholder = CommandLine.Model.CommandSpec.create().name(s.name()).aliases(s.aliases());
                placeholder.usageMessage().description(s.description());
                cmd.addSubcommand(new CommandLine(placeholder, factory));
            }
        }
        return cmd;
    }

    /** What picocli does for a command it inspects itself: its {@code @Spec} fields get the command's spec. */
    private static void injectSpec(Object command, CommandLine.Model.CommandSpec spec) {
        for (Field f : command.getClass().getDeclaredFields()) {
            if (!f.isAnnotationPresent(CommandLine.Spec.class)) continue;
            try {
                f.setAccessible(true);
                f.set(command, spec);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException("cannot give " + command.getClass().getName() + " its command spec", e);
            }
        }
    }

    private static Object create(Factory factory, Class<?> cls) {
        try {
            return factory.create(cls);
        } catch (Exception e) {
            throw new IllegalStateException("cannot create command " + cls.getName(), e);
        }
    }

    /**
     * The commands a command line names, group then verb ({@code [artifact, push]} in {@code kastor artifact push
     * ...}): its first words up to the first option; {@code null} when the whole tree must be modelled ({@code help}
     * at any level: {@code kastor help image build}, {@code kastor image help build}; {@code kastor completion}).
     * Empty for {@code kastor --help}: no command runs, the groups' names and descriptions suffice. Groups have no
     * options of their own, so the verb is the first word after the group.
     */
    static List<String> pathNamedIn(String... args) {
        var path = new ArrayList<String>();
        for (String a : args) {
            if (a.startsWith("-")) continue;
            if (a.equals("help") || a.equals("completion")) return null;
            path.add(a);
            if (path.size() == 2) break;
        }
        return path;
    }

    /** Creates commands, handing the {@link Context} to those whose constructor takes one. */
    static final class Factory implements CommandLine.IFactory {
        private final Context ctx;
        private final CommandLine.IFactory fallback = CommandLine.defaultFactory();

        Factory(Context ctx) {
            this.ctx = ctx;
        }

        @Override
        public <K> K create(Class<K> cls) throws Exception {
            try {
                Constructor<K> withContext = cls.getDeclaredConstructor(Context.class);
                withContext.setAccessible(true);
                return withContext.newInstance(ctx);
            } catch (NoSuchMethodException e) {
                return fallback.create(cls);
            }
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return Line.LINE.clone();
        }

        /** Read once: picocli asks every command added under the root for it (scope INHERIT). */
        private static final class Line {
            static final String[] LINE = {"kastor " + version() + " (Java " + Runtime.version() + ")"};

            /**
             * The jar manifest's Implementation-Version, which a class-data archive holds: {@code --version} need not
             * open the 48 MB jar and index its 26,000 entries to read version.properties. That file when run from
             * classes (tests); both are the build's project version.
             */
            private static String version() {
                String fromManifest = Kastor.class.getPackage().getImplementationVersion();
                return fromManifest != null ? fromManifest : Versions.kastor();
            }
        }
    }
}
