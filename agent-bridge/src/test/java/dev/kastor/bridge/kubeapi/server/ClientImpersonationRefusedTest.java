package dev.kastor.bridge.kubeapi.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.Bridge;
import dev.kastor.bridge.Kubeconfigs;
import dev.kastor.bridge.Upstream;
import dev.kastor.bridge.agentapp.Agent;
import dev.kastor.testing.GitLabApiStandIn;
import dev.kastor.testing.SelfSignedCert;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A CI job never picks its own identity in the cluster. The agent's service account holds impersonation rights (other
 * projects' {@code ci_job} mode needs them), so a job that could forward {@code Impersonate-User: system:admin} with
 * that account's token would be cluster admin. KAS refuses such headers whatever the agent's {@code access_as}, and
 * refuses the job outright when {@code access_as} is one it cannot read, instead of falling back to the agent.
 * Real KAS, agent and kubectl; the upstream records what reaches it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ClientImpersonationRefusedTest {
    @TempDir
    static Path dir;
    static Bridge bridge;
    static Upstream upstream;
    static Agent agent;
    static long agentId;
    static SelfSignedCert cert;
    static HttpClient client;
    static final JsonMapper JSON = JsonMapper.builder().build();

    /** One job token per access_as GitLab may hand KAS for this agent. */
    static final Map<String, Map<String, Object>> ACCESS_AS = Map.of(
            "as-agent", Map.of("agent", Map.of()),
            "as-impersonate", Map.of("impersonate", Map.of("username", "deployer", "groups", List.of("deployers"))),
            "as-ci-job", Map.of("ci_job", Map.of()),
            "as-unknown-kind", Map.of("root", Map.of()),
            "as-impersonate-without-username", Map.of("impersonate", Map.of("groups", List.of("system:masters"))),
            "as-two-kinds", Map.of("agent", Map.of(), "ci_job", Map.of()));

    @BeforeAll
    static void start() throws Exception {
        upstream = new Upstream().handle("/api/v1/namespaces/default/pods", ex -> Upstream.send(ex, 200, "application/json",
                "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{},\"items\":[]}".getBytes(StandardCharsets.UTF_8)));
        cert = SelfSignedCert.create(dir, "kas");
        bridge = new Bridge(dir, cert);
        var reg = bridge.register("group/project", "prod");
        agentId = reg.agent().id();
        long jobId = 600;
        for (var e : ACCESS_AS.entrySet()) {
            bridge.gitlab.addJob(new GitLabApiStandIn.Job(e.getKey(), jobId++, 77, "group/app", 7000, List.of(10L), 42, "alice", null, null,
                    List.of(new GitLabApiStandIn.AllowedAgent(agentId, 100, "default", e.getValue()))));
        }
        agent = bridge.startAgent(reg.token(), upstream.url());
        bridge.awaitConnected(agentId);
        SSLContext tls = Bridge.trusting(cert);
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(tls).build();
    }

    @AfterAll
    static void stop() {
        if (agent != null) agent.close();
        if (bridge != null) bridge.close();
        if (upstream != null) upstream.close();
    }

    static HttpResponse<String> get(String jobToken, String... headers) throws Exception {
        var b = HttpRequest.newBuilder(URI.create(bridge.proxyUrl() + "/api/v1/namespaces/default/pods"))
                .header("Authorization", "Bearer ci:" + agentId + ":" + jobToken).timeout(Duration.ofSeconds(30));
        if (headers.length > 0) b.headers(headers);
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode status(HttpResponse<String> r) {
        JsonNode s = JSON.readTree(r.body());
        assertThat(s.path("kind").asString()).isEqualTo("Status");
        assertThat(s.path("code").asInt()).isEqualTo(r.statusCode());
        return s;
    }

    @ParameterizedTest
    @ValueSource(strings = {"as-agent", "as-impersonate", "as-ci-job"})
    void impersonationHeadersFromTheJobGet400AndNothingReachesTheApiServer(String jobToken) throws Exception {
        assertThat(get(jobToken).statusCode()).as("the same job without the headers is let through").isEqualTo(200);
        for (String[] headers : List.of(
                new String[] {"Impersonate-User", "system:admin", "Impersonate-Group", "system:masters"},
                new String[] {"impersonate-group", "system:masters"},
                new String[] {"Impersonate-Uid", "0"},
                new String[] {"Impersonate-Extra-scopes", "everything"})) {
            int before = upstream.seen.size();

            var r = get(jobToken, headers);

            assertThat(r.statusCode()).as("%s with %s", jobToken, headers[0]).isEqualTo(400);
            assertThat(status(r).path("message").asString()).contains("impersonation headers", "not allowed", "access_as")
                    .containsAnyOf(headers[0], headers[headers.length - 2]);
            assertThat(upstream.seen).as("nothing reaches the API server").hasSize(before);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"as-unknown-kind", "as-impersonate-without-username", "as-two-kinds"})
    void accessAsKasCannotReadRefusesTheJobInsteadOfRunningItAsTheAgent(String jobToken) throws Exception {
        int before = upstream.seen.size();

        var r = get(jobToken);

        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(status(r).path("message").asString()).contains("access_as of agent " + agentId, "fix access_as");
        assertThat(upstream.seen).as("nothing reaches the API server").hasSize(before);
    }

    @Test
    void kubectlAsSystemAdminIsRefusedWithKasMessage() throws Exception {
        Path kubeconfig = Kubeconfigs.write(dir.resolve("kubeconfig"), bridge.proxyUrl(), cert, "group/project:prod", agentId, "as-agent");
        int before = upstream.seen.size();
        var pb = new ProcessBuilder("kubectl", "--kubeconfig", kubeconfig.toString(), "get", "--raw", "/k8s-proxy/api/v1/namespaces/default/pods",
                "--as", "system:admin", "--as-group", "system:masters").redirectErrorStream(true);
        pb.environment().put("HOME", dir.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isNotZero();
        assertThat(out).contains("not allowed through the agent");
        assertThat(upstream.seen).hasSize(before);
    }
}
