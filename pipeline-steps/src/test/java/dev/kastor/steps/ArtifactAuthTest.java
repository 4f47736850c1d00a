package dev.kastor.steps;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.testing.Programs;
import dev.kastor.testing.RegistryServer;
import dev.kastor.testing.Skopeo;
import dev.kastor.testing.TokenRealm;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Credentials and TLS through the command line, against real registries: htpasswd basic auth, the bearer-token flow
 * GitLab's registry and Harbor use, and a TLS registry with a private CA. Every failing run is checked for the
 * secret it was given: a CI log is readable by everyone with access to the project.
 */
class ArtifactAuthTest {
    private static final String USER = "ci-deployer";
    private static final String PASSWORD = "s3cret-Pa55word-7788";
    private static final String WRONG = "wr0ng-Pa55word-4242";

    private static RegistryServer basic;
    private static TokenRealm realm;
    private static RegistryServer token;
    private static RegistryServer tls;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        basic = RegistryServer.builder().basicAuth(USER, PASSWORD).start();
        realm = new TokenRealm(USER, PASSWORD);
        token = RegistryServer.builder().tokenAuth(realm).start();
        tls = RegistryServer.builder().tls().start();
    }

    @AfterAll
    static void stop() {
        Programs.closeAll(basic, token, realm, tls);
    }

    private Path deploy() {
        return Artifacts.write(tmp.resolve("deploy"), Map.of("app.yaml", "kind: ConfigMap\n"));
    }


    @Test
    void credsFlagPushesToABasicAuthRegistry() {
        var r = KastorRun.in(tmp).run("artifact", "push", deploy().toString(), "oci://" + basic.host() + "/auth/creds:v1",
                "--insecure-registry", "--creds", USER + ":" + PASSWORD);

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(Artifacts.tagExists(basic.host() + "/auth/creds:v1", USER + ":" + PASSWORD)).isTrue();
        r.assertLeaksNone(USER, PASSWORD);
    }

    @Test
    void gitlabRegistryVariablesAreUsedForTheCiRegistryHost() {
        var r = KastorRun.in(tmp)
                .env(Map.of("CI_REGISTRY", basic.host(), "CI_REGISTRY_USER", USER, "CI_REGISTRY_PASSWORD", PASSWORD))
                .run("artifact", "push", deploy().toString(), "oci://" + basic.host() + "/auth/ci:v1", "--insecure-registry");

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(Artifacts.tagExists(basic.host() + "/auth/ci:v1", USER + ":" + PASSWORD)).isTrue();
        r.assertLeaksNone(USER, PASSWORD);
    }

    @Test
    void dockerAuthConfigVariableIsUsed() {
        String auth = Base64.getEncoder().encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8));
        var r = KastorRun.in(tmp).env("DOCKER_AUTH_CONFIG", "{\"auths\":{\"" + basic.host() + "\":{\"auth\":\"" + auth + "\"}}}")
                .run("artifact", "push", deploy().toString(), "oci://" + basic.host() + "/auth/dockercfg:v1", "--insecure-registry");

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(Artifacts.tagExists(basic.host() + "/auth/dockercfg:v1", USER + ":" + PASSWORD)).isTrue();
        r.assertLeaksNone(USER, PASSWORD, auth);
    }

    @Test
    void wrongPasswordFailsWithoutShowingItAndPushesNothing() {
        String auth = Base64.getEncoder().encodeToString((USER + ":" + WRONG).getBytes(StandardCharsets.UTF_8));
        var viaFlag = KastorRun.in(tmp).run("artifact", "push", deploy().toString(), "oci://" + basic.host() + "/auth/wrong:v1",
                "--insecure-registry", "--creds", USER + ":" + WRONG);
        var viaCi = KastorRun.in(tmp).env(Map.of("CI_REGISTRY", basic.host(), "CI_REGISTRY_USER", USER, "CI_REGISTRY_PASSWORD", WRONG))
                .run("artifact", "push", deploy().toString(), "oci://" + basic.host() + "/auth/wrong:v1", "--insecure-registry");
        var viaDockerConfig = KastorRun.in(tmp).env("DOCKER_AUTH_CONFIG", "{\"auths\":{\"" + basic.host() + "\":{\"auth\":\"" + auth + "\"}}}")
                .run("artifact", "push", deploy().toString(), "oci://" + basic.host() + "/auth/wrong:v1", "--insecure-registry");

        for (var r : new KastorRun.Result[] {viaFlag, viaCi, viaDockerConfig}) {
            assertThat(r.exit()).as(r.toString()).isEqualTo(1);
            assertThat(r.err()).as(r.toString()).containsIgnoringCase("401").contains(basic.host());
            r.assertLeaksNone(USER, WRONG, auth);
        }
        assertThat(Artifacts.tagExists(basic.host() + "/auth/wrong:v1", USER + ":" + PASSWORD)).isFalse();
    }

    @Test
    void anonymousPushToAnAuthRegistryFailsSayingWhereCredentialsComeFrom() {
        var r = KastorRun.in(tmp).run("artifact", "push", deploy().toString(), "oci://" + basic.host() + "/auth/anon:v1", "--insecure-registry");

        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).containsAnyOf("--creds", "CI_REGISTRY_USER", "DOCKER_AUTH_CONFIG");
    }

    @Test
    void ciRegistryVariablesForAnotherHostSayWhichHostTheyAreForAndHowToGiveThisHostsOwn() {
        var otherHost = KastorRun.in(tmp)
                .env(Map.of("CI_REGISTRY", "registry.gitlab.example.com", "CI_REGISTRY_USER", USER, "CI_REGISTRY_PASSWORD", PASSWORD))
                .run("artifact", "push", deploy().toString(), "oci://" + basic.host() + "/auth/elsewhere:v1", "--insecure-registry");
        var noHost = KastorRun.in(tmp).env(Map.of("CI_REGISTRY_USER", USER, "CI_REGISTRY_PASSWORD", PASSWORD))
                .run("artifact", "push", deploy().toString(), "oci://" + basic.host() + "/auth/elsewhere:v1", "--insecure-registry");

        assertThat(otherHost.exit()).as(otherHost.toString()).isEqualTo(1);
        assertThat(otherHost.err()).as(otherHost.toString())
                .contains("CI_REGISTRY_USER/CI_REGISTRY_PASSWORD are for $CI_REGISTRY (registry.gitlab.example.com), and " + basic.host()
                        + " is another host", "give credentials for " + basic.host() + " with --creds USER:PASSWORD", "KASTOR_CREDS",
                        "DOCKER_AUTH_CONFIG")
                .doesNotContain("set CI_REGISTRY_USER");
        assertThat(noHost.exit()).as(noHost.toString()).isEqualTo(1);
        assertThat(noHost.err()).as(noHost.toString()).contains("CI_REGISTRY, the host they are for, is not", "CI_REGISTRY=" + basic.host());
        otherHost.assertLeaksNone(USER, PASSWORD);
        noHost.assertLeaksNone(USER, PASSWORD);
    }

    @Test
    void tokenAuthRegistryTakesAPushAndGivesItBack() {
        Path deploy = deploy();
        String creds = USER + ":" + PASSWORD;
        var push = KastorRun.in(tmp).run("artifact", "push", deploy.toString(), "oci://" + token.host() + "/auth/token:v1",
                "--insecure-registry", "--creds", creds);
        assertThat(push.exit()).as(push.toString()).isZero();
        assertThat(realm.tokensIssued()).as("went through the token flow").isPositive();
        assertThat(realm.scopesAsked()).anyMatch(s -> s.startsWith("repository:auth/token:") && s.contains("push"));

        var pull = KastorRun.in(tmp).run("artifact", "pull", "oci://" + token.host() + "/auth/token:v1", "-o", "pulled",
                "--insecure-registry", "--creds", creds);
        assertThat(pull.exit()).as(pull.toString()).isZero();
        assertThat(Artifacts.files(tmp.resolve("pulled"))).isEqualTo(Artifacts.files(deploy));
        // skopeo does its own token dance: the artifact is there for every client, not only Kastor.
        assertThat(Artifacts.sha256(Skopeo.inspectRaw(token.host() + "/auth/token:v1", creds)))
                .isEqualTo(pull.out().replaceAll("(?s).*@(sha256:[0-9a-f]{64}).*", "$1"));
        push.assertLeaksNone(USER, PASSWORD);
        pull.assertLeaksNone(USER, PASSWORD);
    }

    @Test
    void tokenRealmRefusingThePasswordFailsWithoutShowingIt() {
        var r = KastorRun.in(tmp).run("artifact", "push", deploy().toString(), "oci://" + token.host() + "/auth/token-wrong:v1",
                "--insecure-registry", "--creds", USER + ":" + WRONG);

        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).isNotBlank();
        r.assertLeaksNone(USER, WRONG);
        assertThat(Artifacts.tagExists(token.host() + "/auth/token-wrong:v1", USER + ":" + PASSWORD)).isFalse();
    }

    @Test
    void tlsRegistryWithAPrivateCaWorksWithCaFile() {
        var r = KastorRun.in(tmp).run("artifact", "push", deploy().toString(), "oci://" + tls.host() + "/auth/tls:v1",
                "--ca-file", tls.caFile().toString());

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(Artifacts.tagExists(tls.host() + "/auth/tls:v1", null)).isTrue();
    }

    @Test
    void tlsRegistryWithAnUnknownCaFailsPointingAtCaFile() {
        var r = KastorRun.in(tmp).run("artifact", "push", deploy().toString(), "oci://" + tls.host() + "/auth/tls-noca:v1");

        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("--ca-file");
        assertThat(Artifacts.tagExists(tls.host() + "/auth/tls-noca:v1", null)).isFalse();
    }
}
