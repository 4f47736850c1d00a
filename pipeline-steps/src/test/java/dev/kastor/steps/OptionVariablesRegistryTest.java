package dev.kastor.steps;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.testing.Programs;
import dev.kastor.testing.RegistryServer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Options set as {@code KASTOR_*} variables (GitLab CI/CD variables) against real registries: a plain-HTTP one, where
 * only {@code --insecure-registry} (or its variable) gets through, and one with htpasswd basic auth for
 * {@code KASTOR_CREDS}. Every run without plain HTTP fails at once: {@code KASTOR_RETRIES=1} keeps it from retrying.
 */
class OptionVariablesRegistryTest {
    private static final String USER = "ci-deployer";
    private static final String PASSWORD = "s3cret-Var-Pa55word-9911";
    private static final String WRONG = "wr0ng-Var-Pa55word-3131";

    private static RegistryServer plain;
    private static RegistryServer basic;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        plain = RegistryServer.start();
        basic = RegistryServer.builder().basicAuth(USER, PASSWORD).start();
    }

    @AfterAll
    static void stop() {
        Programs.closeAll(plain, basic);
    }

    private Path deploy() {
        return Artifacts.write(tmp.resolve("deploy"), Map.of("app.yaml", "kind: ConfigMap\n"));
    }

    private KastorRun.Result push(RegistryServer registry, String repoTag, Map<String, String> env, String... more) {
        var args = new ArrayList<>(List.of("artifact", "push", deploy().toString(), "oci://" + registry.host() + "/" + repoTag));
        args.addAll(List.of(more));
        return KastorRun.in(tmp).env("KASTOR_RETRIES", "1").env(env).run(args.toArray(String[]::new));
    }

    @Test
    void insecureRegistryFromVariableTalksPlainHttp() {
        var without = push(plain, "vars/insecure:v1", Map.of());
        var with = push(plain, "vars/insecure:v1", Map.of("KASTOR_INSECURE_REGISTRY", "true"));

        assertThat(without.exit()).as("the same push without the variable must fail: %s", without).isEqualTo(1);
        assertThat(with.exit()).as(with.toString()).isZero();
        assertThat(Artifacts.tagExists(plain.host() + "/vars/insecure:v1", null)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"true", "TRUE", "True", "1", "yes", "YES"})
    void booleanVariableTakesTrueOneAndYesInAnyCase(String value) {
        var r = push(plain, "vars/yes:v1", Map.of("KASTOR_INSECURE_REGISTRY", value));

        assertThat(r.exit()).as(r.toString()).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"false", "FALSE", "0", "no", "No"})
    void booleanVariableTakesFalseZeroAndNoInAnyCase(String value) {
        var r = push(plain, "vars/no:v1", Map.of("KASTOR_INSECURE_REGISTRY", value));

        assertThat(r.exit()).as("plain HTTP must stay refused: %s", r).isEqualTo(1);
    }

    @Test
    void qualifiedVariableWinsOverGeneralOne() {
        var qualifiedOn = push(plain, "vars/qualified:v1",
                Map.of("KASTOR_INSECURE_REGISTRY", "false", "KASTOR_ARTIFACT_PUSH_INSECURE_REGISTRY", "true"));
        var qualifiedOff = push(plain, "vars/qualified:v2",
                Map.of("KASTOR_INSECURE_REGISTRY", "true", "KASTOR_ARTIFACT_PUSH_INSECURE_REGISTRY", "false"));
        // Another verb's qualified variable is not this one's.
        var otherVerb = push(plain, "vars/qualified:v3", Map.of("KASTOR_ARTIFACT_PULL_INSECURE_REGISTRY", "true"));

        assertThat(qualifiedOn.exit()).as(qualifiedOn.toString()).isZero();
        assertThat(qualifiedOff.exit()).as(qualifiedOff.toString()).isEqualTo(1);
        assertThat(otherVerb.exit()).as(otherVerb.toString()).isEqualTo(1);
    }

    @Test
    void typedFlagStaysOnWhenItsVariableIsTrueToo() {
        // picocli would flip a typed flag against a default provider's true (its #712); Kastor's flags mean true when typed.
        var r = push(plain, "vars/typed:v1", Map.of("KASTOR_INSECURE_REGISTRY", "true"), "--insecure-registry");

        assertThat(r.exit()).as(r.toString()).isZero();
    }

    @Test
    void commandLineWinsOverVariable() {
        var typedOn = push(plain, "vars/cli:v1", Map.of("KASTOR_ARTIFACT_PUSH_INSECURE_REGISTRY", "false"), "--insecure-registry");
        var typedOff = push(plain, "vars/cli:v2", Map.of("KASTOR_ARTIFACT_PUSH_INSECURE_REGISTRY", "true"), "--insecure-registry=false");
        // A bad variable does not matter when the command line sets the option.
        var badButTyped = push(plain, "vars/cli:v3", Map.of("KASTOR_INSECURE_REGISTRY", "maybe"), "--insecure-registry");

        assertThat(typedOn.exit()).as(typedOn.toString()).isZero();
        assertThat(typedOff.exit()).as(typedOff.toString()).isEqualTo(1);
        assertThat(badButTyped.exit()).as(badButTyped.toString()).isZero();
    }

    @Test
    void tagVariableAddsOneTagPerLine() {
        var pushed = push(plain, "vars/tags:v1", Map.of("KASTOR_INSECURE_REGISTRY", "true"), "--output", "json");
        String digest = pushed.json().get("digest").asString();

        var r = KastorRun.in(tmp).env(Map.of("KASTOR_INSECURE_REGISTRY", "true", "KASTOR_ARTIFACT_TAG_TAG", "stable\n\nprod-1\r\n"))
                .run("artifact", "tag", "oci://" + plain.host() + "/vars/tags@" + digest);

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(Artifacts.tagExists(plain.host() + "/vars/tags:stable", null)).isTrue();
        assertThat(Artifacts.tagExists(plain.host() + "/vars/tags:prod-1", null)).isTrue();
    }

    @Test
    void credsVariableAuthenticatesAndIsNeverShown() {
        var right = push(basic, "vars/creds:v1", Map.of("KASTOR_INSECURE_REGISTRY", "true", "KASTOR_CREDS", USER + ":" + PASSWORD));
        var wrong = push(basic, "vars/creds:v2", Map.of("KASTOR_INSECURE_REGISTRY", "true", "KASTOR_CREDS", USER + ":" + WRONG));
        var bare = push(basic, "vars/creds:v3", Map.of("KASTOR_INSECURE_REGISTRY", "true", "KASTOR_CREDS", WRONG));
        var help = KastorRun.in(tmp).env("KASTOR_CREDS", USER + ":" + WRONG).run("artifact", "push", "--help");

        assertThat(right.exit()).as(right.toString()).isZero();
        assertThat(Artifacts.tagExists(basic.host() + "/vars/creds:v1", USER + ":" + PASSWORD)).isTrue();
        right.assertLeaksNone(USER, PASSWORD);
        assertThat(wrong.exit()).as(wrong.toString()).isEqualTo(1);
        assertThat(wrong.err()).containsIgnoringCase("401");
        wrong.assertLeaksNone(USER, WRONG);
        assertThat(bare.exit()).as("a value that is not user:password is a usage error: %s", bare).isEqualTo(2);
        assertThat(bare.err()).contains("KASTOR_CREDS", "user:password");
        bare.assertLeaksNone(USER, WRONG);
        assertThat(help.exit()).as(help.toString()).isZero();
        help.assertLeaksNone(USER, WRONG);
    }
}
