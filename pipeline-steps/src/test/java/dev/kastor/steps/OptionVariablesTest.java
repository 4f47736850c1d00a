package dev.kastor.steps;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.steps.cli.Context;
import dev.kastor.steps.cli.OptionVariables;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;
import tools.jackson.databind.JsonNode;

/**
 * Every option of every {@code kastor} command is also a {@code KASTOR_*} variable: the names, the precedence, the
 * forms of booleans and repeatable options, the errors, the help. Registry round trips are in
 * {@link OptionVariablesRegistryTest}; these run without any server.
 */
class OptionVariablesTest {
    private static final String SHA = "0123456789abcdef0123456789abcdef01234567";
    private static final String OTHER_SHA = "89abcdef0123456789abcdef0123456789abcdef";

    /**
     * Variables Kastor, its launcher, its scripts and its dotenv reports already read or write (grep of the code and
     * the README for KASTOR_). None may be the variable of an option by accident.
     */
    private static final Set<String> TAKEN = Set.of("KASTOR_ARTIFACT_URL", "KASTOR_ARTIFACT_DIGEST", "KASTOR_ARTIFACT_REVISION",
            "KASTOR_ARTIFACT_LAYER_DIGEST", "KASTOR_IMAGE", "KASTOR_IMAGE_DIGEST", "KASTOR_FLUX_REVISION", "KASTOR_GITLAB_TOKEN",
            "KASTOR_KAS_API_URL", "KASTOR_DEBUG", "KASTOR_CDS", "KASTOR_CDS_DIR", "KASTOR_JDK_FEATURE", "KASTOR_JDK_DIR",
            "KASTOR_BENCH_JAR", "KASTOR_AGENT_TOKEN", "KASTOR_CACHE_DIR");

    @TempDir
    Path tmp;

    private Path deploy() {
        return Artifacts.write(tmp.resolve("deploy"), Map.of("app.yaml", "kind: ConfigMap\n", "notes.txt", "x\n", "README.md", "y\n",
                "secret/key.yaml", "kind: Secret\n"));
    }

    /** Pushes the deploy tree into an OCI layout and returns its manifest's annotations. */
    private JsonNode pushedAnnotations(KastorRun run, String tag, String... more) {
        var args = new ArrayList<>(List.of("artifact", "push", deploy().toString(), "oci-layout:" + tmp.resolve("layout") + ":" + tag));
        args.addAll(List.of(more));
        var r = run.run(args.toArray(String[]::new));
        assertThat(r.exit()).as(r.toString()).isZero();
        return Artifacts.json(Artifacts.inspectLayoutRaw(tmp.resolve("layout"), tag)).get("annotations");
    }

    private KastorRun ci() {
        return KastorRun.in(tmp).env(Map.of("CI_PROJECT_URL", "https://gitlab.example.com/bars/app", "CI_COMMIT_REF_NAME", "main",
                "CI_COMMIT_SHA", SHA));
    }

    /** Every command of the whole tree, as {@code kastor help ...} builds it. */
    private static List<CommandLine> allCommands(Context ctx) {
        var all = new ArrayList<CommandLine>();
        var todo = new ArrayList<>(List.of(Kastor.commandLine(new Kastor(), new Kastor.Factory(ctx), null)));
        while (!todo.isEmpty()) {
            CommandLine c = todo.remove(0);
            all.add(c);
            todo.addAll(c.getSubcommands().values());
        }
        return all;
    }

    private static Context context(Map<String, String> env) {
        return new Context(env, new PrintStream(new ByteArrayOutputStream()), new PrintStream(new ByteArrayOutputStream()),
                new ByteArrayInputStream(new byte[0]), Path.of("."), Path.of("."));
    }

    private static List<OptionSpec> allOptions(Context ctx) {
        var options = new ArrayList<OptionSpec>();
        for (CommandLine c : allCommands(ctx)) {
            for (OptionSpec o : c.getCommandSpec().options()) {
                if (!o.usageHelp() && !o.versionHelp() && !o.inherited()) options.add(o);
            }
        }
        return options;
    }

    @Test
    void everyOptionHasAVariableThatCollidesWithNoneKastorAlreadyUses() {
        List<OptionSpec> options = allOptions(context(Map.of()));
        var general = new HashMap<String, OptionSpec>();
        for (OptionSpec o : options) general.put(OptionVariables.generalName(o), o);

        assertThat(options).as("the tree must be complete").hasSizeGreaterThan(60);
        for (OptionSpec o : options) {
            String where = o.command().qualifiedName() + " " + o.longestName();
            assertThat(o.longestName()).as("%s needs a long name to have a variable", where).startsWith("--");
            String qualified = OptionVariables.qualifiedName(o);
            assertThat(qualified).as(where).startsWith("KASTOR_").doesNotContain("-").isUpperCase();
            assertThat(general).as("%s: %s is another option's general variable", where, qualified).doesNotContainKey(qualified);
            assertThat(TAKEN).as(where).doesNotContain(qualified);
            if (!o.longestName().equals("--cache-dir")) assertThat(TAKEN).as(where).doesNotContain(OptionVariables.generalName(o));
        }
        var qualifiedNames = new HashSet<String>();
        for (OptionSpec o : options) assertThat(qualifiedNames.add(OptionVariables.qualifiedName(o))).as(o.toString()).isTrue();
        assertThat(OptionVariables.generalName(general.get("KASTOR_INSECURE_REGISTRY"))).isEqualTo("KASTOR_INSECURE_REGISTRY");
        assertThat(general).containsKeys("KASTOR_AGENT", "KASTOR_REGISTRY_TIMEOUT", "KASTOR_CA_FILE", "KASTOR_ANNOTATION");
        assertThat(qualifiedNames).contains("KASTOR_FLUX_WAIT_SOURCE", "KASTOR_ARTIFACT_PUSH_SOURCE", "KASTOR_IMAGE_BUILD_CACHE_DIR");
    }

    @Test
    void cacheDirVariableKeepsItsMeaningAndIsNotReadAsTheCacheDirOption() {
        // KASTOR_CACHE_DIR is the root of Kastor's caches (base layers in $KASTOR_CACHE_DIR/jib); --cache-dir is the jib cache itself.
        var ctx = context(Map.of("KASTOR_CACHE_DIR", "/root-of-caches", "KASTOR_CREDS", "u:p"));
        var qualifiedCtx = context(Map.of("KASTOR_CACHE_DIR", "/root-of-caches", "KASTOR_IMAGE_BUILD_CACHE_DIR", "/jib-cache"));

        assertThat(new OptionVariables(ctx).defaultValue(option(ctx, "image build", "--cache-dir"))).isNull();
        assertThat(new OptionVariables(qualifiedCtx).defaultValue(option(qualifiedCtx, "image build", "--cache-dir"))).isEqualTo("/jib-cache");
        assertThat(new OptionVariables(ctx).defaultValue(option(ctx, "image build", "--creds"))).isEqualTo("u:p");
    }

    private static OptionSpec option(Context ctx, String command, String name) {
        for (OptionSpec o : allOptions(ctx)) {
            if (o.command().qualifiedName().equals("kastor " + command) && o.longestName().equals(name)) return o;
        }
        throw new AssertionError("no option " + name + " in kastor " + command);
    }

    @Test
    void generalVariableSetsAnOptionOfEveryCommand() {
        var annotations = pushedAnnotations(ci().env("KASTOR_SOURCE", "https://example.com/from-variable"), "general");

        assertThat(annotations.get("org.opencontainers.image.source").asString()).isEqualTo("https://example.com/from-variable");
    }

    @Test
    void qualifiedVariableWinsOverGeneralOne() {
        var annotations = pushedAnnotations(ci().env("KASTOR_SOURCE", "https://example.com/general")
                .env("KASTOR_ARTIFACT_PUSH_SOURCE", "https://example.com/qualified")
                .env("KASTOR_FLUX_WAIT_SOURCE", "flux-system/not-for-push"), "qualified");

        assertThat(annotations.get("org.opencontainers.image.source").asString()).isEqualTo("https://example.com/qualified");
    }

    @Test
    void commandLineWinsOverVariable() {
        var annotations = pushedAnnotations(ci().env("KASTOR_REVISION", "main@sha1:" + OTHER_SHA)
                .env("KASTOR_ARTIFACT_PUSH_REVISION", "main@sha1:" + OTHER_SHA), "cli", "--revision", "v1@sha1:" + SHA);

        assertThat(annotations.get("org.opencontainers.image.revision").asString()).isEqualTo("v1@sha1:" + SHA);
    }

    @Test
    void variableWinsOverTheDefaultFromGitLabVariablesAndAnEmptyOneIsUnset() {
        var set = pushedAnnotations(ci().env("KASTOR_REVISION", "release@sha1:" + OTHER_SHA), "set");
        var empty = pushedAnnotations(ci().env("KASTOR_REVISION", "").env("KASTOR_ARTIFACT_PUSH_REVISION", "  "), "empty");

        assertThat(set.get("org.opencontainers.image.revision").asString()).isEqualTo("release@sha1:" + OTHER_SHA);
        assertThat(empty.get("org.opencontainers.image.revision").asString()).isEqualTo("main@sha1:" + SHA);
    }

    @Test
    void repeatableOptionTakesOneValuePerLine() {
        var annotations = pushedAnnotations(ci().env("KASTOR_ANNOTATION", "team=shop\n\n  tier=web, frontend  \r\nempty=\n"), "lines");

        assertThat(annotations.get("team").asString()).isEqualTo("shop");
        assertThat(annotations.get("tier").asString()).isEqualTo("web, frontend");
        assertThat(annotations.get("empty").asString()).isEmpty();
    }

    @Test
    void commaSeparatedOptionTakesCommasAndLines() {
        deploy();
        var r = KastorRun.in(tmp).env("KASTOR_ADD_IGNORE_PATHS", "*.txt,*.md\nsecret/")
                .run("artifact", "build", tmp.resolve("deploy").toString(), "-o", tmp.resolve("out.tgz").toString(), "--output", "json");

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.json().get("files").asInt()).as("only app.yaml is left: %s", r).isEqualTo(1);
    }

    @Test
    void requiredOptionCanComeFromAVariableWhoseValueIsTakenLiterally() {
        deploy();
        // picocli would expand ${...} and fold $$ in a default; a variable's value is what the user wrote.
        String name = "out-$${HOME}-${env:PATH}-$.tgz";
        var r = KastorRun.in(tmp).env("KASTOR_ARTIFACT_BUILD_OUT", tmp.resolve(name).toString())
                .run("artifact", "build", tmp.resolve("deploy").toString());

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(tmp.resolve(name)).isRegularFile();
    }

    @Test
    void missingRequiredOptionNamesItsVariables() {
        deploy();
        var r = KastorRun.in(tmp).run("artifact", "build", tmp.resolve("deploy").toString());

        assertThat(r.exit()).as(r.toString()).isEqualTo(2);
        assertThat(r.errLines().get(0)).contains("--out", "KASTOR_ARTIFACT_BUILD_OUT", "KASTOR_OUT");
    }

    @Test
    void badBooleanVariableIsAUsageErrorNamingTheVariable() {
        var r = ci().env("KASTOR_REPRODUCIBLE", "maybe").run("artifact", "push", deploy().toString(), "oci-layout:" + tmp.resolve("l") + ":x");

        assertThat(r.exit()).as(r.toString()).isEqualTo(2);
        assertThat(r.errLines().get(0)).contains("KASTOR_REPRODUCIBLE", "maybe", "true", "false", "yes", "no", "1", "0")
                .doesNotContain("--reproducible");
        assertThat(Files.exists(tmp.resolve("l"))).isFalse();
    }

    @Test
    void badNumberVariableIsAUsageErrorNamingTheVariable() {
        var r = ci().env("KASTOR_ARTIFACT_PULL_MAX_SIZE", "lots").run("artifact", "pull", "oci-layout:" + tmp.resolve("l") + ":x", "-o", "out");

        assertThat(r.exit()).as(r.toString()).isEqualTo(2);
        assertThat(r.errLines().get(0)).contains("KASTOR_ARTIFACT_PULL_MAX_SIZE", "lots").doesNotContain("--max-size");
    }

    @Test
    void badEnumVariableIsAUsageErrorNamingTheVariable() {
        var r = ci().env("KASTOR_OUTPUT", "yaml").run("artifact", "push", deploy().toString(), "oci-layout:" + tmp.resolve("l") + ":x");

        assertThat(r.exit()).as(r.toString()).isEqualTo(2);
        assertThat(r.errLines().get(0)).contains("KASTOR_OUTPUT", "yaml", "json").doesNotContain("--output");
    }

    @Test
    void badRepeatableValueIsAUsageErrorNamingTheVariable() {
        var r = ci().env("KASTOR_ANNOTATION", "team=shop\nno-equals-sign")
                .run("artifact", "push", deploy().toString(), "oci-layout:" + tmp.resolve("l") + ":x");

        assertThat(r.exit()).as(r.toString()).isEqualTo(2);
        assertThat(r.errLines().get(0)).contains("no-equals-sign", "KASTOR_ANNOTATION");
    }

    @Test
    void optionAVariableSetIsNamedByItInAStepsError() {
        var r = ci().env("KASTOR_CREDS", "no-colon-secret-5150").env("KASTOR_INSECURE_REGISTRY", "true")
                .run("artifact", "list", "oci://127.0.0.1:1/nothing");

        assertThat(r.exit()).as("a malformed option value is a usage error: %s", r).isEqualTo(2);
        assertThat(r.errLines().get(0)).contains("KASTOR_CREDS must be user:password");
        r.assertLeaksNone("", "no-colon-secret-5150");
    }

    @Test
    void qualifiedAgentVariableChoosesTheContextAndIsNamedAsTheChoice() {
        Path kc = tmp.resolve("kubeconfig");
        try {
            Files.writeString(kc, """
                    apiVersion: v1
                    kind: Config
                    clusters:
                    - name: gitlab
                      cluster: {server: "https://127.0.0.1:1/k8s-proxy"}
                    users:
                    - name: agent:42
                      user: {token: "ci:42:job-token"}
                    contexts:
                    - name: bars/infra:prod
                      context: {cluster: gitlab, user: "agent:42"}
                    """);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }

        var r = KastorRun.in(tmp).env("KUBECONFIG", kc.toString()).env("KASTOR_AGENT", "bars/infra:prod")
                .env("KASTOR_FLUX_RECONCILE_AGENT", "bars/infra:nope").run("flux", "reconcile", "kustomization", "podinfo");

        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("no context 'bars/infra:nope' (from KASTOR_FLUX_RECONCILE_AGENT)");
    }

    @Test
    void helpFootersStateTheRule() {
        var root = KastorRun.in(tmp).run("--help");
        var group = KastorRun.in(tmp).run("help", "image");
        var push = KastorRun.in(tmp).run("artifact", "push", "--help");
        var wait = KastorRun.in(tmp).run("flux", "wait", "--help");

        for (var r : List.of(root, group)) {
            assertThat(r.out()).as(r.toString()).contains("--insecure-registry is KASTOR_INSECURE_REGISTRY", "KASTOR_<GROUP>_<VERB>_<OPTION>");
        }
        assertThat(push.out()).contains("KASTOR_PATH", "KASTOR_ARTIFACT_PUSH_PATH", "one value per line", "[DIR] TARGET (parameters)")
                .doesNotContain("KASTOR_<GROUP>_<VERB>_<OPTION>");
        assertThat(wait.out()).contains("--url is KASTOR_URL, or KASTOR_FLUX_WAIT_URL for this command only");
        for (CommandLine c : allCommands(context(Map.of()))) {
            // picocli wraps a line at the help's width (120): the rule must stay one sentence a line.
            assertThat(c.getCommandSpec().usageMessage().footer()).as(c.getCommandSpec().qualifiedName()).allMatch(l -> l.length() < 120);
        }
    }

    @Test
    void helpShowsTheDefaultAVariableSets() {
        var r = KastorRun.in(tmp).env("KASTOR_ARTIFACT_PUSH_RETRIES", "9").run("artifact", "push", "--help");

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("(default: 9)");
    }
}
