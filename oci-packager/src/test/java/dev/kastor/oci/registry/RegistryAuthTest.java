package dev.kastor.oci.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kastor.oci.auth.Credentials;
import dev.kastor.oci.auth.ResolvedCredentials;
import dev.kastor.testing.RegistryServer;
import dev.kastor.testing.Skopeo;
import dev.kastor.testing.TokenRealm;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Basic auth (htpasswd), token auth (GitLab/Harbor style) and TLS against the real registry. */
class RegistryAuthTest {
    private static final String USER = "ci-bot";
    private static final String PASSWORD = "s3cret-Pa55word-never-printed";

    private static Registry registry(String host, RegistryOptions.Builder options) {
        return Registry.connect(host, options.build());
    }

    private static ResolvedCredentials creds(String user, String password, String source) {
        return new ResolvedCredentials(new Credentials(user, password), source);
    }

    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class BasicAuth {
        private RegistryServer server;

        @TempDir
        Path tmp;

        @BeforeAll
        void start() {
            server = RegistryServer.builder().basicAuth(USER, PASSWORD).start();
        }

        @AfterAll
        void stop() {
            server.close();
        }

        @Test
        void pushWithTheRightCredentialsWorksAndSkopeoReadsIt() throws Exception {
            var artifact = FluxArtifact.create(tmp, 2000, 21);
            var registry = registry(server.host(), RegistryOptions.builder().insecure(true).credentials(creds(USER, PASSWORD, "--creds")));

            artifact.push(registry, "basic/app", "v1");

            assertThat(Skopeo.inspectRaw(server.host() + "/basic/app:v1", USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8))
                    .isEqualTo(artifact.manifest());
        }

        @Test
        void wrongPasswordIsUnauthorizedNamingTheSourceButNotThePassword() throws Exception {
            var artifact = FluxArtifact.create(tmp, 200, 22);
            String wrong = "wrong-" + PASSWORD;
            var registry = registry(server.host(), RegistryOptions.builder().insecure(true).credentials(creds(USER, wrong, "DOCKER_AUTH_CONFIG")));

            assertThatThrownBy(() -> artifact.push(registry, "basic/app", "v2"))
                    .isInstanceOf(RegistryException.Unauthorized.class)
                    .hasMessageContaining("registry " + server.host() + " refused push to basic/app: 401 Unauthorized")
                    .hasMessageContaining("DOCKER_AUTH_CONFIG").hasMessageContaining(USER)
                    .satisfies(e -> assertThat(fullText(e)).doesNotContain(wrong).doesNotContain(PASSWORD));
        }

        @Test
        void anonymousPushIsUnauthorizedAndSaysHowToGiveCredentials() throws Exception {
            var artifact = FluxArtifact.create(tmp, 200, 23);

            assertThatThrownBy(() -> artifact.push(registry(server.host(), RegistryOptions.builder().insecure(true)), "basic/app", "v3"))
                    .isInstanceOf(RegistryException.Unauthorized.class)
                    .hasMessageContaining("no credentials for this host")
                    .hasMessageContaining("CI_REGISTRY_USER/CI_REGISTRY_PASSWORD, DOCKER_AUTH_CONFIG or --creds");
        }
    }

    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class TokenAuth {
        private TokenRealm realm;
        private RegistryServer server;

        @TempDir
        Path tmp;

        @BeforeAll
        void start() {
            realm = new TokenRealm(USER, PASSWORD);
            server = RegistryServer.builder().tokenAuth(realm).start();
        }

        @AfterAll
        void stop() {
            server.close();
            realm.close();
        }

        @Test
        void tokenAuthRegistryAcceptsPushAndPullWithCredentials() throws Exception {
            var artifact = FluxArtifact.create(tmp, 300_000, 24);
            var registry = registry(server.host(),
                    RegistryOptions.builder().insecure(true).chunkSize(100_000).credentials(creds(USER, PASSWORD, "CI_REGISTRY_USER")));

            var digest = artifact.push(registry, "token/app", "v1");
            Path fetched = tmp.resolve("layer");
            registry.fetchBlob("token/app", artifact.layerDescriptor(), BlobFiles.to(fetched));

            assertThat(registry.getManifest("token/app", "v1").digest()).isEqualTo(digest);
            assertThat(fetched).hasSameBinaryContentAs(artifact.layer());
            assertThat(registry.listTags("token/app")).containsExactly("v1");
            assertThat(realm.tokensIssued()).isPositive();
            // One token for the pull-only HEAD, one for the upload; not one per request.
            assertThat(realm.scopesAsked()).anyMatch(s -> s.startsWith("repository:token/app:") && s.contains("push"));
        }

        @Test
        void wrongCredentialsAtTheTokenRealmAreUnauthorized() throws Exception {
            var artifact = FluxArtifact.create(tmp, 200, 25);
            String wrong = "not-" + PASSWORD;
            // A repository no test has a cached token for: oras caches tokens per scope for the whole JVM.
            var registry = registry(server.host(), RegistryOptions.builder().insecure(true).credentials(creds(USER, wrong, "--creds")));

            assertThatThrownBy(() -> artifact.push(registry, "token/other", "v1"))
                    .isInstanceOf(RegistryException.Unauthorized.class)
                    .hasMessageContaining("token/other").hasMessageContaining("--creds")
                    .satisfies(e -> assertThat(fullText(e)).doesNotContain(wrong));
        }

        @Test
        void anonymousPullFromTokenRegistryIsUnauthorized() {
            var registry = registry(server.host(), RegistryOptions.builder().insecure(true));

            assertThatThrownBy(() -> registry.getManifest("token/anon", "v1"))
                    .isInstanceOf(RegistryException.Unauthorized.class)
                    .hasMessageContaining("refused pull from token/anon").hasMessageContaining("--creds");
        }
    }

    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class Tls {
        private RegistryServer server;

        @TempDir
        Path tmp;

        @BeforeAll
        void start() {
            server = RegistryServer.builder().tls().start();
        }

        @AfterAll
        void stop() {
            server.close();
        }

        @Test
        void registryWithSelfSignedCertificateWorksWithItsCaFile() throws Exception {
            var artifact = FluxArtifact.create(tmp, 2000, 26);
            var registry = registry(server.host(), RegistryOptions.builder().caFile(server.caFile()));

            var digest = artifact.push(registry, "tls/app", "v1");

            assertThat(registry.getManifest("tls/app", "v1").digest()).isEqualTo(digest);
        }

        @Test
        void registryWithSelfSignedCertificateFailsWithoutCaFileAndSaysSo() {
            var registry = registry(server.host(), RegistryOptions.builder());

            assertThatThrownBy(() -> registry.listTags("tls/app"))
                    .isInstanceOf(RegistryException.class)
                    .hasMessageContaining("TLS").hasMessageContaining("--ca-file");
        }
    }

    private static String fullText(Throwable e) {
        var sb = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            sb.append(t).append('\n');
        }
        return sb.toString();
    }
}
