package dev.kastor.steps.aot;

import dev.kastor.oci.Scratch;
import dev.kastor.steps.Kastor;
import dev.kastor.steps.cli.Context;
import dev.kastor.steps.cli.ExitCode;
import dev.kastor.steps.cli.Program;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.PersonIdent;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * The training run of the {@code ./kastor} launcher's class-data archive for one command group: runs that group's
 * commands in this JVM on a small workload of their own, so that the archive (a JDK 25 AOT cache, JEP 483/514/515, or
 * an AppCDS archive) holds the classes they load and link and, on JDK 25, their method profiles. Without it,
 * {@code kastor artifact push} loaded and linked some 3,000 classes itself on every run (picocli's model of the group,
 * Git, Jackson, the HTTP client) while an archive trained on {@code --version} held none of them. One archive per
 * group, since every class an archive holds is loaded at each start, wanted or not: {@code --version} keeps a small one,
 * trained on itself. Not a {@code kastor} command: the launcher's tool, run as
 * {@code java -XX:AOTCacheOutput=FILE -cp kastor.jar dev.kastor.steps.aot.Training GROUP}.
 */
@Command(name = "aot-training", description = {"Run kastor's commands of GROUP on a small workload of their own, to train a class-data archive.", "",
        "artifact: build, push (twice: uploads, then blobs already present, with --output json) and pull of a",
        "small tree in a Git work tree of its own, to a registry in this JVM. Any other group: its help, which models its commands.", "",
        "Self-contained: no network, no registry program, a temporary directory as working directory and HOME, and an environment of its",
        "own (no CI variable or credential of the caller's can change or leak into it). Exit 1, with each failed command's output, if one failed."})
public final class Training implements Callable<Integer> {
    private static final Instant COMMITTED = Instant.parse("2026-01-01T00:00:00Z");

    private final Context ctx;

    @Parameters(paramLabel = "GROUP", description = "The command group to train: artifact, image, kube, flux or status.")
    String group;

    Training(Context ctx) {
        this.ctx = ctx;
    }

    public static void main(String[] args) {
        System.exit(run(Context.system(), args));
    }

    public static int run(Context ctx, String... args) {
        return Program.execute(new CommandLine(new Training(ctx)), ctx, args);
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException, GitAPIException {
        var groups = new ArrayList<String>();
        for (Class<?> c : Kastor.class.getAnnotation(Command.class).subcommands()) groups.add(c.getAnnotation(Command.class).name());
        if (!groups.contains(group)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "no command group '" + group + "': pick one of " + String.join(", ", groups));
        }
        Path dir = Files.createTempDirectory("kastor-training-");
        try {
            if (!group.equals("artifact")) return runAll(List.of(List.of(group, "--help")), dir);
            try (var registry = new RegistryStandIn()) {
                return runAll(artifactWorkload(dir, registry.host()), dir);
            }
        } finally {
            Scratch.deleteQuietly(dir);
        }
    }

    private static List<List<String>> artifactWorkload(Path dir, String registry) throws IOException, GitAPIException {
        Path tree = gitWorkTree(dir.resolve("app"));
        String target = "oci://" + registry + "/training/app:v1";
        return List.of(
                List.of("artifact", "build", tree.toString(), "-o", dir.resolve("app.tgz").toString()),
                List.of("artifact", "push", tree.toString(), target, "--insecure-registry"),
                List.of("artifact", "push", tree.toString(), target, "--insecure-registry", "--output", "json"),
                List.of("artifact", "pull", target, "-o", dir.resolve("pulled").toString(), "--insecure-registry"));
    }

    /** A directory of a few manifests, committed, as a project's deploy/ directory is when a CI job packages it. */
    private static Path gitWorkTree(Path tree) throws IOException, GitAPIException {
        Files.createDirectories(tree.resolve("base"));
        Files.writeString(tree.resolve("base/deployment.yaml"), """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: app, namespace: app}
                spec:
                  selector: {matchLabels: {app: app}}
                  template:
                    metadata: {labels: {app: app}}
                    spec: {containers: [{name: app, image: registry.example.com/app:1.0.0}]}
                """);
        Files.writeString(tree.resolve("base/service.yaml"), "apiVersion: v1\nkind: Service\nmetadata: {name: app, namespace: app}\n"
                + "spec: {selector: {app: app}, ports: [{port: 80}]}\n");
        Files.writeString(tree.resolve("kustomization.yaml"), "resources: [base/deployment.yaml, base/service.yaml]\n");
        var who = new PersonIdent("kastor training", "training@kastor.invalid", COMMITTED, ZoneOffset.UTC);
        try (Git git = Git.init().setDirectory(tree.toFile()).setInitialBranch("main").call()) {
            git.add().addFilepattern(".").call();
            git.commit().setMessage("training").setAuthor(who).setCommitter(who).setSign(false).call();
        }
        return tree;
    }

    /** Runs each command in {@code dir} with no environment; a failed one's output goes to stderr. */
    private int runAll(List<List<String>> commands, Path dir) {
        int failed = 0;
        for (List<String> command : commands) {
            var out = new ByteArrayOutputStream();
            int exit;
            try (var stream = new PrintStream(out, true, StandardCharsets.UTF_8)) {
                var isolated = new Context(Map.of(), stream, stream, InputStream.nullInputStream(), dir, dir.resolve("home"));
                exit = Kastor.run(isolated, command.toArray(String[]::new));
            }
            if (exit != ExitCode.OK) {
                failed++;
                ctx.err().println("aot-training: kastor " + String.join(" ", command) + " exited " + exit + ":\n" + out.toString(StandardCharsets.UTF_8));
            }
        }
        return failed == 0 ? ExitCode.OK : ExitCode.FAILED;
    }
}
