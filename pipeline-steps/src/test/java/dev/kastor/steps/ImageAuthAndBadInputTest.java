package dev.kastor.steps;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.testing.Programs;
import dev.kastor.testing.RegistryServer;
import dev.kastor.testing.Skopeo;
import dev.kastor.testing.TokenRealm;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kastor image} with credentials (htpasswd, the token flow of GitLab's registry and Harbor, TLS with a private
 * CA) resolved as for {@code kastor artifact}, and bad input: one clear message, exit 1 (2 for usage), no tag pushed,
 * no secret in the output.
 */
class ImageAuthAndBadInputTest {
    private static final String USER = "ci-builder";
    private static final String PASSWORD = "img-s3cret-Pa55-9911";
    private static final String WRONG = "wr0ng-img-Pa55-1199";

    private static RegistryServer plain;
    private static RegistryServer basic;
    private static TokenRealm realm;
    private static RegistryServer token;
    private static RegistryServer tls;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        plain = RegistryServer.start();
        basic = RegistryServer.builder().basicAuth(USER, PASSWORD).start();
        realm = new TokenRealm(USER, PASSWORD);
        token = RegistryServer.builder().tokenAuth(realm).start();
        tls = RegistryServer.builder().tls().start();
    }

    @AfterAll
    static void stop() {
        Programs.closeAll(plain, basic, token, realm, tls);
    }

    private Path src() {
        return Artifacts.write(tmp.resolve("src"), Map.of("index.html", "<h1>hi</h1>\n"));
    }


    /** The registry's tag list of a repository, straight over HTTP: 404 when nothing was ever pushed there. */
    private static int tagsStatus(RegistryServer registry, String repo) throws Exception {
        var response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(registry.url() + "/v2/" + repo + "/tags/list")).build(),
                HttpResponse.BodyHandlers.ofString());
        return response.statusCode();
    }

    @Test
    void ciRegistryCredentialsPushToABasicAuthRegistry() {
        var r = KastorRun.in(tmp).env(Map.of("CI_REGISTRY", basic.host(), "CI_REGISTRY_USER", USER, "CI_REGISTRY_PASSWORD", PASSWORD,
                        "CI_REGISTRY_IMAGE", basic.host() + "/group/app", "CI_COMMIT_SHA", "0123456789abcdef0123456789abcdef01234567"))
                .run("image", "build", "--insecure-registry", "--from", "scratch", "--layer", src() + ":/srv");

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(Skopeo.inspectRaw(basic.host() + "/group/app:0123456789abcdef0123456789abcdef01234567", USER + ":" + PASSWORD)).contains("layers");
        r.assertLeaksNone(USER, PASSWORD);
    }

    @Test
    void refusedCredentialsFailWithOneMessageAndNoSecret() throws Exception {
        var r = KastorRun.in(tmp).run("image", "build", "--insecure-registry", "--from", "scratch", "--layer", src() + ":/srv",
                "--creds", USER + ":" + WRONG, "--to", basic.host() + "/refused/app:v1");

        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("kastor image build: error:").containsIgnoringCase("credentials");
        r.assertLeaksNone(USER, WRONG, PASSWORD);
    }

    @Test
    void anonymousPushToAnAuthRegistrySaysWhereCredentialsComeFrom() {
        var r = KastorRun.in(tmp).run("image", "build", "--insecure-registry", "--from", "scratch", "--layer", src() + ":/srv",
                "--to", basic.host() + "/anon/app:v1");

        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).containsAnyOf("CI_REGISTRY_USER", "--creds", "DOCKER_AUTH_CONFIG");
    }

    @Test
    void ciRegistryVariablesForAnotherHostSayWhichHostTheyAreFor() {
        var r = KastorRun.in(tmp).env(Map.of("CI_REGISTRY", "registry.gitlab.example.com", "CI_REGISTRY_USER", USER, "CI_REGISTRY_PASSWORD", PASSWORD))
                .run("image", "build", "--insecure-registry", "--from", "scratch", "--layer", src() + ":/srv", "--to", basic.host() + "/elsewhere/app:v1");

        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).as(r.toString())
                .contains("CI_REGISTRY_USER/CI_REGISTRY_PASSWORD are for $CI_REGISTRY (registry.gitlab.example.com), and " + basic.host()
                        + " is another host", "--creds USER:PASSWORD", "DOCKER_AUTH_CONFIG")
                .doesNotContain("set CI_REGISTRY_USER");
        r.assertLeaksNone(USER, PASSWORD);
    }

    @Test
    void tokenFlowRegistryTakesBaseAndTargetWithCredentials() {
        var base = KastorRun.in(tmp).run("image", "build", "--insecure-registry", "--creds", USER + ":" + PASSWORD, "--from", "scratch",
                "--layer", src() + ":/srv", "--to", token.host() + "/tok/base:1");
        assertThat(base.exit()).as(base.toString()).isZero();

        var auth = java.util.Base64.getEncoder().encodeToString((USER + ":" + PASSWORD).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        var r = KastorRun.in(tmp).env("DOCKER_AUTH_CONFIG", "{\"auths\":{\"" + token.host() + "\":{\"auth\":\"" + auth + "\"}}}")
                .run("image", "build", "--insecure-registry", "--from", token.host() + "/tok/base:1", "--layer", src() + ":/more",
                        "--to", token.host() + "/tok/app:1", "--output", "json");

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(Artifacts.json(Skopeo.inspectRaw(token.host() + "/tok/app:1", USER + ":" + PASSWORD)).path("layers").size()).isEqualTo(2);
        r.assertLeaksNone(USER, PASSWORD, auth);
    }

    @Test
    void tlsRegistryWithAPrivateCaWorksWithCaFile() {
        var r = KastorRun.in(tmp).run("image", "build", "--ca-file", tls.caFile().toString(), "--from", "scratch", "--layer", src() + ":/srv",
                "--to", tls.host() + "/tls/app:1");

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(Skopeo.inspectRaw(tls.host() + "/tls/app:1", null)).contains("layers");
    }

    @Test
    void missingLayerSourceFailsBeforeAnythingIsPushed() throws Exception {
        var r = KastorRun.in(tmp).run("image", "build", "--insecure-registry", "--from", "scratch", "--layer", "no/such/dir:/srv",
                "--to", plain.host() + "/bad/missing:v1");

        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.err()).contains("no/such/dir").contains("does not exist");
        assertThat(tagsStatus(plain, "bad/missing")).isEqualTo(404);
    }

    @Test
    void unknownPlatformIsRefusedWithTheKnownOnes() throws Exception {
        var r = KastorRun.in(tmp).run("image", "build", "--insecure-registry", "--from", "scratch", "--layer", src() + ":/srv",
                "--platform", "linux/amd46", "--to", plain.host() + "/bad/platform:v1");

        assertThat(r.exit()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).contains("unknown platform 'linux/amd46'").contains("amd64");
        assertThat(tagsStatus(plain, "bad/platform")).isEqualTo(404);
    }

    @Test
    void platformTheBaseLacksIsReportedAsAMismatch() throws Exception {
        var base = KastorRun.in(tmp).run("image", "build", "--insecure-registry", "--from", "scratch", "--layer", src() + ":/srv",
                "--to", plain.host() + "/bad/single:1");
        assertThat(base.exit()).as(base.toString()).isZero();

        var r = KastorRun.in(tmp).run("image", "build", "--insecure-registry", "--from", plain.host() + "/bad/single:1", "--layer", src() + ":/x",
                "--platform", "linux/amd64,linux/arm64", "--to", plain.host() + "/bad/multi:v1");

        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("platform");
        assertThat(tagsStatus(plain, "bad/multi")).isEqualTo(404);
    }

    @Test
    void baseNotFoundSaysSo() throws Exception {
        var r = KastorRun.in(tmp).run("image", "build", "--insecure-registry", "--from", plain.host() + "/no/such-base:1", "--layer", src() + ":/srv",
                "--to", plain.host() + "/bad/nobase:v1");

        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("not found").contains("no/such-base");
        assertThat(tagsStatus(plain, "bad/nobase")).isEqualTo(404);
    }

    @Test
    void tagOfAMissingImageFailsWithExitOne() {
        var r = KastorRun.in(tmp).run("image", "tag", plain.host() + "/no/such:1", "--tag", "latest", "--insecure-registry");

        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("no/such");
    }

    @Test
    void usageErrorsExitTwo() {
        var noFrom = KastorRun.in(tmp).run("image", "build", "--to", plain.host() + "/x/y:1");
        var noTarget = KastorRun.in(tmp).run("image", "build", "--from", "scratch");
        var scratchTarget = KastorRun.in(tmp).run("image", "build", "--from", "scratch", "--to", "scratch");

        assertThat(noFrom.exit()).as(noFrom.toString()).isEqualTo(2);
        assertThat(noTarget.exit()).as(noTarget.toString()).isEqualTo(2);
        assertThat(noTarget.err()).contains("--to");
        assertThat(scratchTarget.exit()).as(scratchTarget.toString()).isEqualTo(2);
        assertThat(scratchTarget.err()).contains("not a target");
    }

    @Test
    void entrypointExampleOfTheHelpIsAccepted() {
        var help = KastorRun.in(tmp).run("image", "build", "--help");
        var example = java.util.regex.Pattern.compile("--entrypoint=CMD\\s+Entrypoint: a JSON array, in a shell '([^']+)'").matcher(help.out());
        assertThat(example.find()).as("the --entrypoint help shows a quoted JSON array: %s", help).isTrue();

        var r = KastorRun.in(tmp).run("image", "build", "--insecure-registry", "--from", "scratch", "--layer", src() + ":/srv",
                "--entrypoint", example.group(1), "--to", plain.host() + "/help/example:1");

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(Images.strings(Images.config(plain.host() + "/help/example:1").path("Entrypoint"))).containsExactly("/bin/app", "--flag");
    }

    @Test
    void malformedOptionValuesAreUsageErrorsExitingTwoBeforeAnythingIsPushed() throws Exception {
        var cases = new java.util.LinkedHashMap<List<String>, String>();
        cases.put(List.of("--entrypoint", "['/bin/app','--flag']"), "write it with double quotes");
        cases.put(List.of("--expose", "abc"), "--expose 'abc' is not PORT");
        cases.put(List.of("--workdir", "srv"), "--workdir 'srv' must be an absolute path");
        cases.put(List.of("--label", "no-equals"), "--label 'no-equals' must be KEY=VALUE");
        cases.put(List.of("--creation-time", "yesterday"), "--creation-time 'yesterday' is neither epoch seconds");
        cases.put(List.of("--layer", "no-destination"), "--layer 'no-destination' must be SRC:DEST[:MODE]");
        cases.put(List.of("--creds", "bare-secret-3141"), "--creds must be user:password");
        for (var c : cases.entrySet()) {
            var args = new java.util.ArrayList<>(List.of("image", "build", "--insecure-registry", "--from", "scratch", "--layer", src() + ":/srv",
                    "--to", plain.host() + "/bad/usage:v1"));
            args.addAll(c.getKey());
            var r = KastorRun.in(tmp).run(args.toArray(String[]::new));

            assertThat(r.exit()).as(r.toString()).isEqualTo(2);
            assertThat(r.errLines()).as(r.toString()).hasSize(2);
            assertThat(r.errLines().get(0)).as(r.toString()).startsWith("kastor image build: ").contains(c.getValue());
            assertThat(r.errLines().get(1)).isEqualTo("Try 'kastor image build --help' for the options and examples.");
            r.assertLeaksNone("", "bare-secret-3141");
        }
        assertThat(tagsStatus(plain, "bad/usage")).isEqualTo(404);
    }

    @Test
    void malformedValueAVariableGaveIsAUsageErrorNamingTheVariable() {
        var r = KastorRun.in(tmp).env("KASTOR_EXPOSE", "abc").run("image", "build", "--insecure-registry", "--from", "scratch",
                "--layer", src() + ":/srv", "--to", plain.host() + "/bad/variable:v1");

        assertThat(r.exit()).as(r.toString()).isEqualTo(2);
        assertThat(r.errLines().get(0)).startsWith("kastor image build: KASTOR_EXPOSE 'abc' is not PORT");
    }

    @Test
    void plainHttpRegistryWithoutInsecureRegistryFailsAtOnceAndPlainly() throws Exception {
        // measured on purpose: failing at once is the behaviour; 5 s is far under the minute of jib's own retries
        long start = System.nanoTime();
        var r = KastorRun.in(tmp).run("image", "build", "--from", "scratch", "--layer", src() + ":/srv", "--to", plain.host() + "/plain/app:v1");
        double seconds = (System.nanoTime() - start) / 1e9;

        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(seconds).as("jib alone retried the TLS failure for most of a minute: %s", r).isLessThan(5);
        assertThat(r.errLines()).as(r.toString()).hasSize(2);
        assertThat(r.errLines().get(1)).as(r.toString()).startsWith("kastor image build: error: cannot establish TLS with registry " + plain.host())
                .contains("--insecure-registry if it serves plain http");
        assertThat(r.out() + r.err()).as(r.toString()).doesNotContain("\u001b");
        assertThat(tagsStatus(plain, "plain/app")).isEqualTo(404);
    }

    @Test
    void registryHostThatDoesNotResolveFailsAtOnce() {
        long start = System.nanoTime(); // measured on purpose, as above
        var r = KastorRun.in(tmp).run("image", "build", "--from", "scratch", "--layer", src() + ":/srv", "--to", "registry.invalid/group/app:v1");
        double seconds = (System.nanoTime() - start) / 1e9;

        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(seconds).as("jib alone retried the unknown host for most of a minute: %s", r).isLessThan(5);
        assertThat(r.errLines().get(r.errLines().size() - 1)).as(r.toString())
                .startsWith("kastor image build: error: cannot resolve registry host registry.invalid");
    }
}
