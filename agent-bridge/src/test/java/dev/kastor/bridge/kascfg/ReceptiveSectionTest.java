package dev.kastor.bridge.kascfg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kastor.testing.SelfSignedCert;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code receptive_agents}: read as documented, and every mistake refused at start naming the key. */
class ReceptiveSectionTest {
    static final String KEY = Base64.getEncoder().encodeToString(new byte[32]);

    @TempDir
    static Path dir;
    static SelfSignedCert client;
    static SelfSignedCert other;
    static SelfSignedCert agentCa;

    @BeforeAll
    static void certificates() {
        client = SelfSignedCert.create(dir, "kas-client");
        other = SelfSignedCert.create(dir, "other");
        agentCa = SelfSignedCert.create(dir, "agent-ca");
    }

    private static KasConfig load(String receptive) throws Exception {
        Path f = Files.createTempFile(dir, "kas", ".yaml");
        Files.writeString(f, "gitlab: {url: https://gitlab.example.com}\napi_secret_key: " + KEY + "\n" + receptive);
        return KasConfig.load(f, Map.of());
    }

    private static String section(String cert, String key, String agents) {
        return "receptive_agents:\n  client_certificate_file: " + cert + "\n  client_key_file: " + key + "\n  agents:\n" + agents;
    }

    private static String agent(String id, String url) {
        return "    - {id: " + id + ", url: '" + url + "', ca_certificate_file: " + agentCa.certPem() + "}\n";
    }

    @Test
    void withoutTheSectionKasDialsNoAgent() throws Exception {
        assertThat(load("").receptiveAgents().agents()).isEmpty();
    }

    @Test
    void listedAgentsAreReadWithKasClientCertificate() throws Exception {
        var c = load(section(client.certPem().toString(), client.keyPem().toString(), agent("7", "grpcs://agent.example.com:8160")));

        assertThat(c.receptiveAgents().clientCertificateFile()).isEqualTo(client.certPem().toString());
        assertThat(c.receptiveAgents().agents()).containsExactly(
                new KasConfig.ReceptiveAgent(7L, "grpcs://agent.example.com:8160", agentCa.certPem().toString()));
    }

    @Test
    void aKeyThatIsNotTheCertificatesIsRefusedNamingIt() {
        assertThatThrownBy(() -> load(section(client.certPem().toString(), other.keyPem().toString(), agent("7", "grpcs://a:8160"))))
                .hasMessageContaining("receptive_agents.client_key_file " + other.keyPem() + " is not the PEM private key of receptive_agents.client_certificate_file");
    }

    @Test
    void agentsWithoutKasClientCertificateAreRefused() {
        assertThatThrownBy(() -> load("receptive_agents:\n  agents:\n" + agent("7", "grpcs://a:8160")))
                .hasMessageContaining("receptive_agents.client_certificate_file and receptive_agents.client_key_file are needed");
    }

    @Test
    void aPlainOrPortlessUrlIsRefusedNamingTheAgent() {
        for (String url : new String[] {"grpc://a:8160", "grpcs://a", "a:8160"}) {
            assertThatThrownBy(() -> load(section(client.certPem().toString(), client.keyPem().toString(), agent("7", url))))
                    .hasMessageContaining("receptive_agents.agents[7].url must be grpcs://host:port");
        }
    }

    @Test
    void anAgentListedTwiceOrWithoutIdIsRefused() {
        String cert = client.certPem().toString();
        String key = client.keyPem().toString();
        assertThatThrownBy(() -> load(section(cert, key, agent("7", "grpcs://a:1") + agent("7", "grpcs://b:1"))))
                .hasMessageContaining("receptive_agents.agents lists agent 7 twice");
        assertThatThrownBy(() -> load(section(cert, key, "    - {url: 'grpcs://a:1'}\n"))).hasMessageContaining("receptive_agents.agents[].id is missing");
    }

    @Test
    void aCaFileWithoutCertificateIsRefusedNamingIt() throws Exception {
        Path notPem = Files.writeString(dir.resolve("not-a-ca.crt"), "hello\n");
        String agents = "    - {id: 7, url: 'grpcs://a:8160', ca_certificate_file: " + notPem + "}\n";
        assertThatThrownBy(() -> load(section(client.certPem().toString(), client.keyPem().toString(), agents)))
                .hasMessageContaining("receptive_agents.agents[7].ca_certificate_file " + notPem + " holds no PEM CA certificate");
    }
}
