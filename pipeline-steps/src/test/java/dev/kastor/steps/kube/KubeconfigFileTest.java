package dev.kastor.steps.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kastor.oci.InvalidInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/** How a person's kubeconfig is merged into: entries by name, everything else kept, all or nothing. */
class KubeconfigFileTest {
    private static final String EXISTING = """
            apiVersion: v1
            kind: Config
            preferences: {colors: true}
            clusters:
            - name: kind-dev
              cluster: {server: https://127.0.0.1:6443}
            - name: kas.example.com
              cluster: {server: https://old.example.com/k8s-proxy}
            users:
            - name: kind-dev
              user: {token: dev-token}
            contexts:
            - name: kind-dev
              context: {cluster: kind-dev, user: kind-dev}
            current-context: kind-dev
            """;

    @TempDir
    Path dir;

    private static JsonNode yaml(Path file) throws Exception {
        return YAMLMapper.builder().build().readTree(Files.readString(file));
    }

    @Test
    void mergingReplacesEntriesOfTheSameNameAndKeepsEverythingElse() throws Exception {
        Path file = dir.resolve("config");
        Files.writeString(file, EXISTING);

        KubeconfigFile.load(file).cluster("kas.example.com", "https://kas.example.com/k8s-proxy", null)
                .execUser("agent:7@kas.example.com", "kastor", "kube", "token", "--agent-id", "7", "--token-file", "/t")
                .context("group/project:prod", "kas.example.com", "agent:7@kas.example.com", "apps").write(file);

        JsonNode y = yaml(file);
        assertThat(y.path("current-context").asString()).isEqualTo("kind-dev");
        assertThat(y.path("preferences").path("colors").asBoolean()).isTrue();
        assertThat(y.path("clusters")).hasSize(2);
        assertThat(y.path("clusters").get(0).path("cluster").path("server").asString()).isEqualTo("https://127.0.0.1:6443");
        assertThat(y.path("clusters").get(1).path("cluster").path("server").asString()).isEqualTo("https://kas.example.com/k8s-proxy");
        assertThat(y.path("users").get(0).path("user").path("token").asString()).isEqualTo("dev-token");
        JsonNode exec = y.path("users").get(1).path("user").path("exec");
        assertThat(exec.path("apiVersion").asString()).isEqualTo("client.authentication.k8s.io/v1");
        assertThat(exec.path("interactiveMode").asString()).isEqualTo("Never");
        assertThat(exec.path("args").toString()).isEqualTo("[\"kube\",\"token\",\"--agent-id\",\"7\",\"--token-file\",\"/t\"]");
        assertThat(y.path("contexts").get(1).path("context").path("namespace").asString()).isEqualTo("apps");
        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    }

    @Test
    void aFileThatIsNotAKubeconfigIsRefusedAndLeftAsItWas() throws Exception {
        Path file = dir.resolve("not-a-kubeconfig.yaml");
        String deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n";
        Files.writeString(file, deployment);

        assertThatThrownBy(() -> KubeconfigFile.load(file)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining(file + " is not a kubeconfig (kind: Config)").hasMessageContaining("--file");
        assertThat(Files.readString(file)).isEqualTo(deployment);
    }

    @Test
    void brokenYamlIsRefusedNamingTheFile() throws Exception {
        Path file = dir.resolve("broken");
        Files.writeString(file, "clusters: [\n");

        assertThatThrownBy(() -> KubeconfigFile.load(file)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("kubeconfig " + file + " is not valid YAML");
    }

    @Test
    void aMissingFileStartsEmptyInADirectoryMadeForIt() throws Exception {
        Path file = dir.resolve("home/.kube/config");

        KubeconfigFile f = KubeconfigFile.load(file);
        assertThat(f.currentContext()).isNull();
        f.cluster("c", "https://kas", null).tokenUser("u", "pat:1:x").context("p:a", "c", "u", null).currentContext("p:a").write(file);

        JsonNode y = yaml(file);
        assertThat(y.path("kind").asString()).isEqualTo("Config");
        assertThat(y.path("current-context").asString()).isEqualTo("p:a");
        assertThat(dir.resolve("home/.kube").toFile().list()).containsExactly("config");
    }
}
