package dev.kastor.steps;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.steps.cli.Context;
import dev.kastor.steps.cli.Program;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command's own surface: help, version, and planned groups that must fail loudly rather than do nothing. */
class KastorCommandLineTest {
    @TempDir
    Path tmp;

    @Test
    void topLevelHelpListsTheGroupsAndExitCodes() {
        var r = KastorRun.in(tmp).run("--help");

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("artifact", "image", "kube", "flux", "status", "Exit codes", "--version");
        assertThat(r.out()).contains("Package Kubernetes manifests as Flux OCI artifacts", "Build and tag container images");
        assertThat(r.err()).isEmpty();
    }

    @Test
    void pushHelpDescribesItsOptions() {
        var r = KastorRun.in(tmp).run("artifact", "push", "--help");

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("--insecure-registry", "--creds", "--ca-file", "--retries", "--dotenv", "--output", "--path",
                "--reproducible", "--annotation", "--ignore-paths", "oci-layout:");
    }

    @Test
    void versionPrintsTheProjectVersion() {
        var r = KastorRun.in(tmp).run("--version");

        assertThat(r.exit()).as(r.toString()).isZero();
        // "unknown" would mean version.properties was not filtered into the jar.
        assertThat(r.out().strip()).matches("kastor \\d+\\.\\d+\\.\\d+(-SNAPSHOT)? .*");
    }

    @Test
    void versionAloneAnswersWithoutPicocliExactlyWhatPicocliPrints() {
        var out = new ByteArrayOutputStream();
        var ctx = new Context(Map.of(), new PrintStream(out, true, StandardCharsets.UTF_8), System.err, InputStream.nullInputStream(), tmp, tmp);
        int exit = Program.execute(Kastor.commandLine(new Kastor(), new Kastor.Factory(ctx), List.of()), ctx, "--version");

        assertThat(exit).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).isNotEmpty();
        for (String option : List.of("--version", "-V")) {
            assertThat(Kastor.asksOnlyVersion(option)).as(option).isTrue();
            var r = KastorRun.in(tmp).run(option);
            assertThat(r.exit()).as(r.toString()).isZero();
            assertThat(r.out()).as(r.toString()).isEqualTo(out.toString(StandardCharsets.UTF_8));
            assertThat(r.err()).isEmpty();
        }
        assertThat(Kastor.asksOnlyVersion("--version", "--help")).isFalse();
        assertThat(KastorRun.in(tmp).run("--version", "--help").out()).contains("Usage: kastor");
    }

    @Test
    void onlyTheGroupAndVerbACommandLineNamesAreModelled() {
        assertThat(Kastor.pathNamedIn("artifact", "push", "deploy", "oci://registry.example.com/app:v1")).containsExactly("artifact", "push");
        assertThat(Kastor.pathNamedIn("--version")).isEmpty();
        assertThat(Kastor.pathNamedIn("help", "artifact", "push")).isNull();
        assertThat(Kastor.pathNamedIn("artifact", "help", "push")).isNull();

        var root = Kastor.commandLine(new Kastor(), new Kastor.Factory(Commands.context(tmp)), List.of("artifact", "push"));
        var artifact = root.getSubcommands().get("artifact");
        assertThat(artifact.getSubcommands().get("push").getCommandSpec().findOption("--insecure-registry")).isNotNull();
        assertThat(artifact.getSubcommands().get("pull").getCommandSpec().findOption("--insecure-registry")).isNull();
        assertThat(root.getSubcommands().get("image").getSubcommands()).isEmpty();
    }

    @Test
    void helpOfAGroupIsTheSameWhetherItsVerbsAreModelledOrNot() {
        for (String group : List.of("artifact", "image", "kube", "flux", "status")) {
            var partial = KastorRun.in(tmp).run(group, "--help");
            var whole = KastorRun.in(tmp).run("help", group);

            assertThat(partial.exit()).as(partial.toString()).isZero();
            assertThat(partial.out()).as(group).isEqualTo(whole.out());
        }
    }

    @Test
    void imageWithoutVerbIsAUsageErrorListingTheVerbs() {
        var r = KastorRun.in(tmp).run("image");

        assertThat(r.exit()).as(r.toString()).isEqualTo(2);
        assertThat(r.errLines().get(0)).contains("build", "tag");
    }

    @Test
    void helpOfAGroupNotNamedFirstIsComplete() {
        // Only the group named on the command line is fully built at start-up; help must still see every group.
        var r = KastorRun.in(tmp).run("help", "image");

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("build", "tag", "without a Docker daemon");
    }

    @Test
    void helpOfAVerbIsTheVerbsOwnHelpWhicheverWayItIsAsked() {
        var groups = Kastor.commandLine(new Kastor(), new Kastor.Factory(Commands.context(tmp)), null).getSubcommands();
        int verbs = 0;
        for (var group : groups.values()) {
            if (group.getCommandSpec().helpCommand() || group.getSubcommands().isEmpty()) continue; // a verb of its own: completion
            String g = group.getCommandName();
            assertThat(group.getSubcommands()).as("%s has a help of its own", g).containsKey("help");
            assertThat(KastorRun.in(tmp).run(g, "help").out()).as("kastor %s help", g).isEqualTo(KastorRun.in(tmp).run(g, "--help").out());
            for (var verb : group.getSubcommands().values()) {
                if (verb.getCommandSpec().helpCommand()) continue;
                String v = verb.getCommandName();
                var own = KastorRun.in(tmp).run(g, v, "--help");
                var fromRoot = KastorRun.in(tmp).run("help", g, v);
                var fromGroup = KastorRun.in(tmp).run(g, "help", v);

                assertThat(own.exit()).as(own.toString()).isZero();
                assertThat(own.out()).as(own.toString()).startsWith("Usage: kastor " + g + " " + v);
                for (var r : List.of(fromRoot, fromGroup)) {
                    assertThat(r.exit()).as(r.toString()).isZero();
                    assertThat(r.out()).as(r.toString()).isEqualTo(own.out());
                }
                verbs++;
            }
        }
        assertThat(verbs).as("verbs walked").isGreaterThan(10);
    }

    @Test
    void helpOfAnUnknownCommandIsAUsageErrorNamingTheChoices() {
        var r = KastorRun.in(tmp).run("help", "artifact", "psh");
        var inGroup = KastorRun.in(tmp).run("artifact", "help", "psh");

        for (var run : List.of(r, inGroup)) {
            assertThat(run.exit()).as(run.toString()).isEqualTo(2);
            assertThat(run.errLines().get(0)).as(run.toString()).isEqualTo("kastor artifact: no command 'psh' here: pick one of build, push, pull, tag, rollback, diff, list");
        }
    }

    @Test
    void artifactWithoutVerbIsAUsageErrorListingTheVerbs() {
        var r = KastorRun.in(tmp).run("artifact");

        assertThat(r.exit()).as(r.toString()).isEqualTo(2);
        assertThat(r.errLines().get(0)).contains("push", "pull", "tag", "diff", "list");
    }
}
