package dev.kastor.oci.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kastor.oci.InvalidInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The resolution order explicit > CI_REGISTRY > DOCKER_AUTH_CONFIG > config.json (helpers first) > none. */
class CredentialResolverTest {
    private static final String HOST = "registry.example.com:5050";

    @TempDir
    Path home;

    @TempDir
    Path bin;

    private final Map<String, String> env = new HashMap<>();

    @BeforeEach
    void everySourceSet() throws Exception {
        env.put("CI_REGISTRY", HOST);
        env.put("CI_REGISTRY_USER", "gitlab-ci-token");
        env.put("CI_REGISTRY_PASSWORD", "job-token");
        env.put("DOCKER_AUTH_CONFIG", "{\"auths\":{\"" + HOST + "\":{\"auth\":\"" + b64("from-env:env-pass") + "\"}}}");
        writeDockerConfig(home.resolve(".docker"), "{\"auths\":{\"https://" + HOST + "\":{\"auth\":\"" + b64("from-file:file-pass") + "\"}}}");
    }

    private CredentialResolver resolver() {
        return new CredentialResolver(env, home, List.of(bin));
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static void writeDockerConfig(Path dir, String json) throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), json);
    }

    @Test
    void explicitCredentialsWinOverEverything() {
        var resolved = resolver().resolve(HOST, Credentials.parse("me:pa:ss"));

        assertThat(resolved.credentials()).isEqualTo(new Credentials("me", "pa:ss"));
        assertThat(resolved.source()).isEqualTo("--creds");
    }

    @Test
    void gitlabRegistryVariablesComeNextForTheGitlabRegistryHost() {
        var resolved = resolver().resolve(HOST, null);

        assertThat(resolved.credentials()).isEqualTo(new Credentials("gitlab-ci-token", "job-token"));
        assertThat(resolved.source()).isEqualTo("CI_REGISTRY_USER");
    }

    @Test
    void gitlabRegistryVariablesDoNotLeakToOtherHosts() throws Exception {
        env.put("CI_REGISTRY", "gitlab.example.com:5050");

        var resolved = resolver().resolve(HOST, null);

        assertThat(resolved.source()).isEqualTo("DOCKER_AUTH_CONFIG");
        assertThat(resolved.credentials()).isEqualTo(new Credentials("from-env", "env-pass"));
    }

    @Test
    void dockerAuthConfigAcceptsUsernamePasswordAndHttpsKeys() {
        env.remove("CI_REGISTRY");
        env.put("DOCKER_AUTH_CONFIG", "{\"auths\":{\"https://" + HOST + "/v1/\":{\"username\":\"u\",\"password\":\"p\"}}}");

        assertThat(resolver().resolve(HOST, null).credentials()).isEqualTo(new Credentials("u", "p"));
    }

    @Test
    void dockerConfigFileComesAfterTheVariables() {
        env.remove("CI_REGISTRY");
        env.remove("DOCKER_AUTH_CONFIG");

        var resolved = resolver().resolve(HOST, null);

        assertThat(resolved.credentials()).isEqualTo(new Credentials("from-file", "file-pass"));
        assertThat(resolved.source()).isEqualTo("~/.docker/config.json");
    }

    @Test
    void dockerConfigEnvironmentVariableMovesTheConfigFile() throws Exception {
        env.remove("CI_REGISTRY");
        env.remove("DOCKER_AUTH_CONFIG");
        Path elsewhere = home.resolve("elsewhere");
        writeDockerConfig(elsewhere, "{\"auths\":{\"" + HOST + "\":{\"auth\":\"" + b64("moved:moved-pass") + "\"}}}");
        env.put("DOCKER_CONFIG", elsewhere.toString());

        var resolved = resolver().resolve(HOST, null);

        assertThat(resolved.credentials()).isEqualTo(new Credentials("moved", "moved-pass"));
        assertThat(resolved.source()).isEqualTo("$DOCKER_CONFIG/config.json");
    }

    @Test
    void credentialHelperIsAskedWithTheHostOnStdin() throws Exception {
        env.remove("CI_REGISTRY");
        env.remove("DOCKER_AUTH_CONFIG");
        Path helper = bin.resolve("docker-credential-test");
        // Echoes the host it was asked about as the user name: proves the protocol, not just the output.
        Files.writeString(helper, """
                #!/bin/sh
                [ "$1" = get ] || exit 2
                read host
                printf '{"ServerURL":"%s","Username":"helper-for-%s","Secret":"helper-secret"}' "$host" "$host"
                """);
        Files.setPosixFilePermissions(helper, PosixFilePermissions.fromString("rwxr-xr-x"));
        writeDockerConfig(home.resolve(".docker"), "{\"credHelpers\":{\"" + HOST + "\":\"test\"},"
                + "\"auths\":{\"" + HOST + "\":{\"auth\":\"" + b64("from-file:file-pass") + "\"}}}");

        var resolved = resolver().resolve(HOST, null);

        assertThat(resolved.credentials()).isEqualTo(new Credentials("helper-for-" + HOST, "helper-secret"));
        assertThat(resolved.source()).isEqualTo("docker-credential-test (~/.docker/config.json)");
    }

    @Test
    void missingCredentialHelperIsAClearError() throws Exception {
        env.remove("CI_REGISTRY");
        env.remove("DOCKER_AUTH_CONFIG");
        writeDockerConfig(home.resolve(".docker"), "{\"credsStore\":\"absent\"}");

        assertThatThrownBy(() -> resolver().resolve(HOST, null))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("docker-credential-absent is not on the PATH").hasMessageContaining("--creds");
    }

    @Test
    void nothingConfiguredMeansAnonymous() {
        env.clear();

        var resolved = new CredentialResolver(env, home.resolve("nohome"), List.of(bin)).resolve(HOST, null);

        assertThat(resolved.isAnonymous()).isTrue();
        assertThat(resolved.source()).isEqualTo("none");
    }

    @Test
    void malformedDockerAuthConfigSaysWhereButDoesNotEchoTheSecret() {
        env.remove("CI_REGISTRY");
        env.put("DOCKER_AUTH_CONFIG", "{\"auths\":{\"" + HOST + "\":{\"auth\":\"c2VjcmV0LXZhbHVl\"");

        assertThatThrownBy(() -> resolver().resolve(HOST, null))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("DOCKER_AUTH_CONFIG is not valid JSON")
                .message().doesNotContain("c2VjcmV0LXZhbHVl");
    }

    @Test
    void credentialsNeverShowTheirPassword() {
        var creds = Credentials.parse("bot:hunter2:with-colon");

        assertThat(creds.toString()).contains("bot").doesNotContain("hunter2");
        assertThat(new ResolvedCredentials(creds, "--creds").toString()).doesNotContain("hunter2");
        assertThatThrownBy(() -> Credentials.parse("just-a-token-hunter2")).message().doesNotContain("hunter2");
    }
}
