package dev.kastor.steps;

import dev.kastor.steps.artifact.ArtifactCommand;
import dev.kastor.steps.cli.CompletionCommand;
import dev.kastor.steps.cli.Context;
import dev.kastor.steps.cli.HelpCommand;
import dev.kastor.steps.cli.OptionVariables;
import dev.kastor.steps.cli.Program;
import dev.kastor.steps.flux.FluxCommand;
import dev.kastor.steps.image.ImageCommand;
import dev.kastor.steps.image.Versions;
import dev.kastor.steps.kube.KubeCommand;
import dev.kastor.steps.status.StatusCommand;
import java.lang.reflect.Constructor;
import java.util.Arrays;
import java.util.LinkedHashMap;
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

    public static void main(String[] args) {
        // Exit explicitly: library thread pools must never keep a CI job alive after the step is done.
        System.exit(run(Context.system(), args));
    }

    /** Runs one command line against the given context; tests call this in-process. */
    public static int run(Context ctx, String... args) {
        var cmd = commandLine(new Kastor(), new Factory(ctx), groupNamedIn(args));
        cmd.setCaseInsensitiveEnumValuesAllowed(true);
        return Program.execute(cmd, ctx, args);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: pick one of artifact, image, kube, flux, status, completion");
    }

    /**
     * The command tree for one run. picocli would model every verb of every group by reflection on each start, which
     * a CI step pays for (most of {@code kastor --version}'s time); so only the group the command line runs is
     * modelled, and the others are a name and a description for the top-level help. {@code kastor help ...} gets the
     * whole tree. The {@code @Command} annotation above stays the one list of groups. Every command's help footer
     * says how its options are also variables ({@link OptionVariables}).
     */
    static CommandLine commandLine(Kastor kastor, Factory factory, String group) {
        CommandLine cmd = group == null ? new CommandLine(kastor, factory) : groupOnly(kastor, factory, group);
        HelpCommand.addTo(cmd, factory); // kastor help artifact push, kastor artifact help push
        OptionVariables.describeIn(cmd);
        return cmd;
    }

    /** The root with the group named {@code group} complete and every other group a placeholder. */
    private static CommandLine groupOnly(Kastor kastor, Factory factory, String group) {
        Command a = Kastor.class.getAnnotation(Command.class);
        var spec = CommandLine.Model.CommandSpec.wrapWithoutInspection(kastor, factory);
        spec.name(a.name()).scopeType(a.scope()).versionProvider(new Version());
        var exitCodes = new LinkedHashMap<String, String>();
        for (String line : a.exitCodeList()) exitCodes.put(line.substring(0, line.indexOf(':')), line.substring(line.indexOf(':') + 1));
        spec.usageMessage().description(a.description()).exitCodeListHeading(a.exitCodeListHeading()).exitCodeList(exitCodes).footer(a.footer());
        spec.mixinStandardHelpOptions(a.mixinStandardHelpOptions());
        kastor.spec = spec;
        var cmd = new CommandLine(spec, factory);
        for (Class<?> sub : a.subcommands()) {
            Command s = sub.getAnnotation(Command.class);
            if (s.name().equals(group) || Arrays.asList(s.aliases()).contains(group)) {
                cmd.addSubcommand(new CommandLine(createGroup(factory, sub), factory));
            } else {
                var placeholder = CommandLine.Model.CommandSpec.create().name(s.name()).aliases(s.aliases());
                placeholder.usageMessage().description(s.description());
                cmd.addSubcommand(new CommandLine(placeholder, factory));
            }
        }
        return cmd;
    }

    private static Object createGroup(Factory factory, Class<?> cls) {
        try {
            return factory.create(cls);
        } catch (Exception e) {
            throw new IllegalStateException("cannot create command " + cls.getName(), e);
        }
    }

    /**
     * The group a command line runs ({@code artifact} in {@code kastor artifact push ...}), or {@code null} when every
     * group must be complete ({@code kastor help image build}, {@code kastor completion}).
     */
    static String groupNamedIn(String... args) {
        for (String a : args) {
            if (a.startsWith("-")) continue;
            return a.equals("help") || a.equals("completion") ? null : a;
        }
        return ""; // kastor --version, kastor --help: no group runs, their names and descriptions suffice
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
            return new String[] {"kastor " + Versions.kastor() + " (Java " + Runtime.version() + ")"};
        }
    }
}
