package dev.kastor.steps;

import dev.kastor.steps.artifact.ArtifactCommand;
import dev.kastor.steps.cli.Context;
import dev.kastor.steps.flux.FluxCommand;
import dev.kastor.steps.kube.KubeCommand;
import dev.kastor.steps.status.StatusCommand;
import dev.kastor.steps.cli.Errors;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Constructor;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ScopeType;

@Command(name = "kastor", mixinStandardHelpOptions = true, scope = ScopeType.INHERIT,
        versionProvider = Kastor.Version.class,
        description = {"Deliver from a GitLab pipeline to Kubernetes: Flux OCI artifacts, daemonless images,",
                "push-based apply through the GitLab agent, Flux sync wait and commit-status reporting.", ""},
        subcommands = {ArtifactCommand.class, Groups.Image.class, KubeCommand.class, FluxCommand.class, StatusCommand.class,
                CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:ok", "1:the step failed (message on stderr says what and how to fix)",
                "2:usage error (unknown option, missing argument)", "3:kastor artifact diff / kube diff found differences",
                "4:timed out waiting (flux wait, kube apply --wait): not failed, not done yet"},
        footer = {"", "GitLab CI variables (CI_REGISTRY, CI_COMMIT_SHA, ...) fill the defaults. Docs: README.md"})
public final class Kastor implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        // Exit explicitly: library thread pools must never keep a CI job alive after the step is done.
        System.exit(run(Context.system(), args));
    }

    /** Runs one command line against the given context; tests call this in-process. */
    public static int run(Context ctx, String... args) {
        var cmd = new CommandLine(new Kastor(), new Factory(ctx));
        var errors = new Errors(ctx);
        cmd.setExecutionExceptionHandler(errors);
        cmd.setParameterExceptionHandler(errors);
        cmd.setOut(new java.io.PrintWriter(ctx.out(), true));
        cmd.setErr(new java.io.PrintWriter(ctx.err(), true));
        cmd.setCaseInsensitiveEnumValuesAllowed(true);
        cmd.setUsageHelpWidth(120); // CI logs are wide; 80 columns would break the examples in the help
        return cmd.execute(args);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: pick one of artifact, image, kube, flux, status");
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
        public String[] getVersion() throws IOException {
            var p = new Properties();
            try (InputStream in = Kastor.class.getResourceAsStream("version.properties")) {
                if (in != null) p.load(in);
            }
            return new String[] {"kastor " + p.getProperty("version", "unknown") + " (Java " + Runtime.version() + ")"};
        }
    }
}
