package dev.kastor.steps;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.testing.Programs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The completion script and man pages the kastor image ships, as the build writes them ({@link ShellDocs}). */
class ShellDocsTest {
    @TempDir
    Path tmp;

    /** What bash offers after {@code line} (the cursor at its end), with the script loaded as a user's shell would. */
    private static String completions(Path script, String line) {
        String words = line.endsWith(" ") ? line + "''" : line;
        var r = Programs.run(List.of("bash", "-c", "source \"$0\"; COMP_LINE=\"$1\"; COMP_POINT=${#COMP_LINE}; COMP_WORDS=(" + words + ");"
                + " COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); _complete_kastor; printf '%s\\n' \"${COMPREPLY[@]}\"", script.toString(), line), 30);
        assertThat(r.exit()).as("bash completing '%s': %s", line, r.stderr()).isZero();
        return r.stdout();
    }

    @Test
    void completionScriptIsGeneratedAndBashRegistersAndUsesIt() throws Exception {
        ShellDocs.write(tmp);
        Path script = tmp.resolve(ShellDocs.COMPLETION);

        var registered = Programs.run(List.of("bash", "-c", "source \"$0\" && complete -p kastor", script.toString()), 30);

        assertThat(registered.exit()).as(registered.stderr()).isZero();
        assertThat(registered.stdout()).contains("_complete_kastor").contains(" kastor");
        assertThat(completions(script, "kastor ").lines()).contains("artifact", "image", "kube", "flux", "status", "completion", "help");
        assertThat(completions(script, "kastor artifact pu").lines()).containsExactlyInAnyOrder("push", "pull");
        assertThat(completions(script, "kastor image build --insec").lines()).containsExactly("--insecure-registry");
        assertThat(completions(script, "kastor image build --format ").lines()).containsExactlyInAnyOrder("oci", "docker");
        assertThat(completions(script, "kastor image build --output ").lines()).containsExactlyInAnyOrder("text", "json");
    }

    @Test
    void optionsWithValuesToCompleteHaveLabelsOfTheirOwnInEachCommand() {
        // picocli's script keeps each option's values in a bash variable named after its label: a shared label
        // (--format FORMAT and --output FORMAT) gave both options the values of the last one.
        for (CommandLine cmd : Commands.all(tmp)) {
            var labels = new java.util.HashMap<String, String>();
            for (var option : cmd.getCommandSpec().options()) {
                if (option.completionCandidates() == null || option.typeInfo().isBoolean()) continue;
                String label = option.paramLabel().replaceAll("[^A-Za-z0-9_]", "");
                String other = labels.putIfAbsent(label, option.longestName());
                assertThat(other).as("%s: %s and %s share the label %s", cmd.getCommandSpec().qualifiedName(), other, option.longestName(), label)
                        .isNull();
            }
        }
    }

    @Test
    void completionCommandPrintsTheScriptTheImageShips() throws Exception {
        ShellDocs.write(tmp);

        var r = KastorRun.in(tmp).run("completion");

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).isEqualTo(Files.readString(tmp.resolve(ShellDocs.COMPLETION)));
    }

    @Test
    void everyCommandHasAManPage() throws Exception {
        ShellDocs.write(tmp);

        for (CommandLine cmd : Commands.all(tmp)) {
            String name = cmd.getCommandSpec().qualifiedName("-");
            Path page = tmp.resolve(ShellDocs.MAN).resolve(name + ".adoc");
            assertThat(page).as("man page of %s", cmd.getCommandSpec().qualifiedName()).exists();
            assertThat(Files.readString(page)).as(page.toString()).contains("= " + name + "(1)", "== Name", "== Synopsis",
                    cmd.getCommandSpec().qualifiedName());
        }
        assertThat(Files.readString(tmp.resolve(ShellDocs.MAN).resolve("kastor-image-build.adoc"))).contains("--entrypoint", "--insecure-registry");
    }
}
