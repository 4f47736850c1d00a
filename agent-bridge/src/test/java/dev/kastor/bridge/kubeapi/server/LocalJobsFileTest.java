package dev.kastor.bridge.kubeapi.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kastor.bridge.Upstream;
import dev.kastor.bridge.agentapp.Agent;
import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.bridge.kubeapi.agent.KubeApiUpstream;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.bridge.registration.agent.RegistrationSettings;
import dev.kastor.bridge.kasapp.Kas;
import dev.kastor.bridge.tunnel.agent.PoolSettings;
import dev.kastor.testing.Eventually;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code gitlab.local_jobs_file} lets KAS run without GitLab, for trying it on one machine: the jobs listed there get
 * their agents' KUBECONFIG data and through the tunnel, as the agent; any other token gets 401, another agent 403.
 * A broken file stops KAS at start naming the entry, never the token.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LocalJobsFileTest {
    static final String KEY = java.util.Base64.getEncoder().encodeToString(new byte[32]);
    static final HttpClient client = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    Path kasYaml(String jobs) throws Exception {
        Files.writeString(dir.resolve("jobs.yaml"), jobs);
        Path config = dir.resolve("kas.yaml");
        Files.writeString(config, """
                listen:
                  agent: {address: "127.0.0.1:0"}
                  api: {address: "127.0.0.1:0"}
                  k8s_proxy: {address: "127.0.0.1:0"}
                gitlab: {local_jobs_file: jobs.yaml}
                api_secret_key: %s
                private_api_secret_key: %s
                """.formatted(KEY, KEY));
        return config;
    }

    static HttpResponse<String> get(URI uri, String header, String value) throws Exception {
        return client.send(HttpRequest.newBuilder(uri).header(header, value).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aListedJobGetsItsAgentsAndGoesThroughTheTunnelAsTheAgentWhileOthersAreRefused() throws Exception {
        try (var upstream = new Upstream().handle("/api/v1/namespaces", ex -> Upstream.send(ex, 200, "application/json",
                "{\"kind\":\"NamespaceList\"}".getBytes(StandardCharsets.UTF_8)))) {
            Path config = kasYaml("""
                    - token: try-it-job-token
                      project: group/app
                      agents: [1]
                      default_namespace: demo
                    """);
            try (var kas = Kas.start(KasConfig.load(config, Map.of()), JsonLog.quiet())) {
                var reg = kas.agents().register("group/agents", "local");
                assertThat(reg.agent().id()).isEqualTo(1);
                var other = kas.agents().register("group/agents", "other");
                try (Agent agent = Agent.start(URI.create("grpc://127.0.0.1:" + kas.agentPort()), null, reg::token,
                        new KubeApiUpstream(upstream.url(), null, () -> "agent-sa-token"), PoolSettings.defaults(), "test",
                        RegistrationSettings.defaults(), JsonLog.quiet())) {
                    Eventually.until(Duration.ofSeconds(20), () -> "agent 1 connected", () -> kas.tunnels().connected(1));

                    var agents = get(URI.create("http://127.0.0.1:" + kas.apiPort() + "/api/v1/job/agents"), "JOB-TOKEN", "try-it-job-token");
                    assertThat(agents.statusCode()).isEqualTo(200);
                    assertThat(agents.body()).contains("\"id\":1", "\"name\":\"local\"", "\"default_namespace\":\"demo\"")
                            .doesNotContain("\"other\"");

                    String proxy = "http://127.0.0.1:" + kas.k8sProxyPort() + "/k8s-proxy/api/v1/namespaces";
                    var through = get(URI.create(proxy), "Authorization", "Bearer ci:1:try-it-job-token");
                    assertThat(through.statusCode()).isEqualTo(200);
                    assertThat(through.body()).contains("NamespaceList");
                    assertThat(upstream.seen.getLast().headers().keySet()).noneMatch(h -> h.toLowerCase().startsWith("impersonate-"));

                    assertThat(get(URI.create(proxy), "Authorization", "Bearer ci:1:some-other-token").statusCode()).isEqualTo(401);
                    assertThat(get(URI.create(proxy), "Authorization", "Bearer ci:" + other.agent().id() + ":try-it-job-token").statusCode())
                            .isEqualTo(403);
                }
            }
        }
    }

    @Test
    void aBrokenFileStopsKasNamingTheEntryAndNeverTheToken() throws Exception {
        assertThatThrownBy(() -> Kas.start(KasConfig.load(kasYaml("""
                - {token: first-secret-token, project: group/app, agents: [1]}
                - {token: first-secret-token, project: group/other, agents: [2]}
                """), Map.of()), JsonLog.quiet()))
                .hasMessageContaining("entry 2").hasMessageContaining("token of an earlier entry").hasMessageNotContaining("first-secret-token");
        assertThatThrownBy(() -> Kas.start(KasConfig.load(kasYaml("- {token: t, project: group/app, agents: []}\n"), Map.of()), JsonLog.quiet()))
                .hasMessageContaining("entry 1: agents must list");
        assertThatThrownBy(() -> Kas.start(KasConfig.load(kasYaml("- {token: t, project: app, agents: [1]}\n"), Map.of()), JsonLog.quiet()))
                .hasMessageContaining("full project path");
        assertThatThrownBy(() -> Kas.start(KasConfig.load(kasYaml("- {token: t, project: g/app, agents: [1], access_as: {agent: {}}}\n"),
                Map.of()), JsonLog.quiet())).hasMessageContaining("unknown key 'access_as'");
        assertThatThrownBy(() -> Kas.start(KasConfig.load(kasYaml("[]\n"), Map.of()), JsonLog.quiet()))
                .hasMessageContaining("must be a list of jobs");
    }

    @Test
    void withoutGitLabUrlOrLocalJobsKasSaysWhatToGive() throws Exception {
        Path config = dir.resolve("kas.yaml");
        Files.writeString(config, "api_secret_key: %s\nprivate_api_secret_key: %s\n".formatted(KEY, KEY));
        assertThatThrownBy(() -> KasConfig.load(config, Map.of()))
                .hasMessageContaining("gitlab.url is missing").hasMessageContaining("gitlab.local_jobs_file");
    }
}
