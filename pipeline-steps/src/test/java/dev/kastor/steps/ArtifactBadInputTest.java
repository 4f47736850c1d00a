package dev.kastor.steps;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.kastor.testing.RegistryServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Wrong input to {@code kastor artifact push}: a non-zero exit (1 for a failed step, 2 for a wrong command line), one
 * message on stderr that names what is wrong, no stack trace, and nothing in the registry. The registry's catalog is
 * checked after every test, so even a started-and-abandoned blob upload would show.
 */
class ArtifactBadInputTest {
    private static final Pattern FLAG = Pattern.compile("(?<![\\w-])--[a-z][a-z-]+");

    private static RegistryServer registry;
    private static RegistryServer tlsRegistry;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        registry = RegistryServer.start();
        tlsRegistry = RegistryServer.builder().tls().start();
    }

    @AfterAll
    static void stop() {
        if (registry != null) registry.close();
        if (tlsRegistry != null) tlsRegistry.close();
    }

    @AfterEach
    void nothingWasPushed() throws Exception {
        var response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(registry.url() + "/v2/_catalog")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(Artifacts.json(response.body()).get("repositories")).as("repositories in the registry").isEmpty();
    }

    private Path deploy() {
        return Artifacts.write(tmp.resolve("deploy"), Map.of("app.yaml", "kind: ConfigMap\n"));
    }

    private String target(String repoTag) {
        return "oci://" + registry.host() + "/" + repoTag;
    }

    /** Exit 1 and exactly one error line (log headings such as "==> Pushing" may precede it), naming {@code what}. */
    private static void assertFailedOnce(KastorRun.Result r, String... what) {
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.out()).as(r.toString()).isEmpty();
        assertThat(r.errLines()).as(r.toString()).filteredOn(l -> l.contains("error")).singleElement().asString()
                .startsWith("kastor artifact push: error: ").contains(what);
        assertThat(r.err()).as(r.toString()).doesNotContain("\tat ").doesNotContain("Exception").doesNotContain("unexpected");
    }

    /** Exit 2 and a first stderr line naming {@code what}; picocli's usage text follows it. */
    private static void assertUsageError(KastorRun.Result r, String what) {
        assertThat(r.exit()).as(r.toString()).isEqualTo(2);
        assertThat(r.out()).as(r.toString()).isEmpty();
        assertThat(r.errLines().get(0)).as(r.toString()).contains(what);
        assertThat(r.err()).doesNotContain("\tat ");
    }

    @Test
    void missingDirectoryIsNamed() {
        var r = KastorRun.in(tmp).run("artifact", "push", "no-such-dir", target("bad/missing:v1"), "--insecure-registry");
        assertFailedOnce(r, tmp.resolve("no-such-dir").toString(), "does not exist");
    }

    @Test
    void directoryWithNothingButIgnoredFilesIsNamedAsEmpty() {
        Artifacts.write(tmp.resolve("empty"), Map.of(".git/HEAD", "ref: refs/heads/main\n", "logo.png", "png"));
        var r = KastorRun.in(tmp).run("artifact", "push", "empty", target("bad/empty:v1"), "--insecure-registry");
        assertFailedOnce(r, tmp.resolve("empty").toString(), "nothing to package");
    }

    @Test
    void emptyStandardInputIsRefused() {
        var r = KastorRun.in(tmp).run("artifact", "push", "--path", "-", target("bad/stdin:v1"), "--insecure-registry");
        assertFailedOnce(r, "standard input was empty");
    }

    @Test
    void uppercaseRepositoryIsAMalformedReference() {
        // Note: oci://UPPER/x:tag is NOT malformed: UPPER is a valid host name in the distribution grammar, so that
        // form fails only when connecting. The repository part is where uppercase is forbidden.
        var r = KastorRun.in(tmp).run("artifact", "push", deploy().toString(), target("UPPER/x:v1"), "--insecure-registry");
        assertFailedOnce(r, "'UPPER/x' is not a valid repository name", "lowercase");
    }

    @Test
    void aPasswordInsideAReferenceIsRefusedAndNeverPrinted() {
        String ref = "oci://deployer:Pa55-w0rd@" + registry.host() + "/bad/creds:v1";
        for (var args : List.of(List.of("artifact", "push", deploy().toString(), ref, "--insecure-registry"),
                List.of("artifact", "pull", ref, "-o", "out", "--insecure-registry"),
                List.of("kube", "apply", ref, "--insecure-registry"))) {
            var r = KastorRun.in(tmp).run(args.toArray(String[]::new));
            assertThat(r.exit()).as(r.toString()).isEqualTo(1);
            assertThat(r.err()).as(r.toString()).contains("must not hold credentials", "KASTOR_CREDS").doesNotContain("\tat ");
            r.assertLeaksNone("deployer", "Pa55-w0rd", "deployer:");
        }
    }

    @Test
    void unknownRegistryHostIsNamedAsUnresolvableNotAsOverloaded() {
        // oci://UPPER/x:tag parses (UPPER is a valid host name); what the user needs is that the host does not
        // resolve, not "the registry may be overloaded, try again later" after five attempts and seconds of backoff.
        // ".invalid" is reserved (RFC 2606): it never resolves, on any network.
        var r = KastorRun.in(tmp).run("artifact", "push", deploy().toString(), "oci://UPPER.invalid/x:v1", "--insecure-registry");
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("UPPER.invalid").containsIgnoringCase("resolve").doesNotContain("try again later");
    }

    @Test
    void referenceWithoutSchemeIsRefusedNamingTheAcceptedForms() {
        var r = KastorRun.in(tmp).run("artifact", "push", deploy().toString(), registry.host() + "/bad/noscheme:v1", "--insecure-registry");
        assertFailedOnce(r, registry.host() + "/bad/noscheme:v1", "oci://", "oci-layout:");
    }

    @Test
    void referenceWithoutTagIsRefused() {
        var r = KastorRun.in(tmp).run("artifact", "push", deploy().toString(), target("bad/notag"), "--insecure-registry");
        assertFailedOnce(r, "needs a tag", ":TAG");
    }

    @Test
    void notifyWithoutAKasAddressFailsBeforeAnythingIsPushed() {
        var r = KastorRun.in(tmp).env("CI_JOB_TOKEN", "job-token").run("artifact", "push", deploy().toString(), target("bad/notify:v1"),
                "--insecure-registry", "--notify");
        assertFailedOnce(r, "no KAS API address: pass --kas-api");
    }

    @Test
    void notifyOutsideACiJobFailsBeforeAnythingIsPushed() {
        var r = KastorRun.in(tmp).run("artifact", "push", deploy().toString(), target("bad/notify:v1"), "--insecure-registry",
                "--notify", "--kas-api", "http://127.0.0.1:1");
        assertFailedOnce(r, "CI_JOB_TOKEN is not set");
    }

    @Test
    void notifyOfAPushToAnOciLayoutIsAUsageError() {
        var r = KastorRun.in(tmp).env("CI_JOB_TOKEN", "job-token").run("artifact", "push", deploy().toString(), "oci-layout:" + tmp.resolve("layout") + ":v1",
                "--notify", "--kas-api", "http://127.0.0.1:1");
        assertUsageError(r, "--notify tells KAS of a push to a registry");
        assertThat(tmp.resolve("layout")).doesNotExist();
    }

    @Test
    void malformedAnnotationIsAUsageErrorNamingIt() {
        var r = KastorRun.in(tmp).run("artifact", "push", deploy().toString(), target("bad/annotation:v1"), "--insecure-registry",
                "--annotation", "novalue");
        assertUsageError(r, "annotation 'novalue' is not key=value");
    }

    @Test
    void unreadableFileIsNamed() throws IOException {
        Path deploy = deploy();
        Path secret = Files.writeString(deploy.resolve("secret.yaml"), "kind: Secret\n");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("---------"));
        // root reads a mode-000 file anyway (CAP_DAC_OVERRIDE): this machine cannot produce an unreadable file then.
        assumeThat(Files.isReadable(secret)).as("running as root: mode 000 does not stop reading").isFalse();

        var r = KastorRun.in(tmp).run("artifact", "push", deploy.toString(), target("bad/unreadable:v1"), "--insecure-registry");
        assertFailedOnce(r, "secret.yaml");
    }

    @Test
    void inGitLabCiTheErrorIsPrintedAfterTheCollapsedSectionIsClosed() {
        // A collapsed section hides its lines until clicked: the reason a job failed must be outside it.
        var r = KastorRun.in(tmp).env("GITLAB_CI", "true").run("artifact", "push", "no-such-dir", target("bad/section:v1"), "--insecure-registry");

        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        int end = r.err().lastIndexOf("section_end:");
        int error = r.err().indexOf("error:");
        assertThat(end).as(r.toString()).isNotNegative();
        assertThat(error).as(r.toString()).isGreaterThan(end);
    }

    @Test
    void missingTargetIsAUsageError() {
        var r = KastorRun.in(tmp).run("artifact", "push", deploy().toString());
        assertUsageError(r, "TARGET");
    }

    @Test
    void unknownOptionIsAUsageError() {
        var r = KastorRun.in(tmp).run("artifact", "push", deploy().toString(), target("bad/option:v1"), "--insecure-registr");
        assertUsageError(r, "--insecure-registr");
    }

    @Test
    void plainHttpRegistryWithoutInsecureFlagFailsSayingWhichFlagToUse() {
        var r = KastorRun.in(tmp).run("artifact", "push", deploy().toString(), target("bad/tls:v1"), "--retries", "1");
        assertFailedOnce(r, "TLS", "--insecure-registry");
        assertEverySuggestedFlagExists(r);
    }

    @Test
    void insecureTogetherWithCaFileIsRefusedNamingBothFlags() {
        var r = KastorRun.in(tmp).run("artifact", "push", deploy().toString(), target("bad/both:v1"), "--insecure-registry",
                "--ca-file", tlsRegistry.caFile().toString());
        assertFailedOnce(r, "--insecure-registry", "--ca-file");
        assertEverySuggestedFlagExists(r);
    }

    @Test
    void caFileThatDoesNotExistIsNamed() {
        var r = KastorRun.in(tmp).run("artifact", "push", deploy().toString(), "oci://" + tlsRegistry.host() + "/bad/ca:v1",
                "--ca-file", "no-such-ca.pem");
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("no-such-ca.pem").doesNotContain("\tat ");
    }

    /** A hint is only useful if the user can type it: every --flag a message suggests must be an option of push. */
    private static void assertEverySuggestedFlagExists(KastorRun.Result r) {
        var help = KastorRun.in(Path.of(System.getProperty("java.io.tmpdir"))).run("artifact", "push", "--help");
        Set<String> options = new LinkedHashSet<>();
        FLAG.matcher(help.out()).results().forEach(m -> options.add(m.group()));
        List<String> suggested = FLAG.matcher(r.err()).results().map(m -> m.group()).toList();
        assertThat(suggested).as("flags suggested by: %s", r.err()).isNotEmpty().allMatch(options::contains, "an option of kastor artifact push");
    }
}
