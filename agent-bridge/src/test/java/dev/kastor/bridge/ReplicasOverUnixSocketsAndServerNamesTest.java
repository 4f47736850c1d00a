package dev.kastor.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.agentapp.Agent;
import dev.kastor.testing.Eventually;
import dev.kastor.testing.SelfSignedCert;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two replicas sharing a real Redis that reach each other's private API over UNIX sockets ({@code unix://}), or over
 * TLS whose certificates name only a host name the replica advertises with its URL ({@code OWN_PRIVATE_API_HOST}):
 * a CI job's request at the replica without the agent is routed to the one that holds it.
 */
class ReplicasOverUnixSocketsAndServerNamesTest {
    static final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static RedisServer redis;
    static Upstream upstream;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        redis = RedisServer.start();
        upstream = new Upstream().handle("/api/v1/namespaces/default/pods", ex -> Upstream.send(ex, 200, "application/json",
                "{\"kind\":\"PodList\",\"items\":[]}".getBytes(StandardCharsets.UTF_8)));
    }

    @AfterAll
    static void stop() throws Exception {
        if (upstream != null) upstream.close();
        if (redis != null) redis.close();
    }

    @Test
    void aRequestAtTheReplicaWithoutTheAgentIsRoutedOverTheHoldersSocket() throws Exception {
        try (var holder = new Bridge(dir, null, null, Bridge.Replica.unix(redis.url(), dir.resolve("a.socket")));
             var other = new Bridge(dir, null, holder.gitlab, Bridge.Replica.unix(redis.url(), dir.resolve("b.socket")))) {
            var response = routed(holder, other, "job-token-1", 501, "unix://" + dir.resolve("a.socket"));

            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            assertThat(other.kas.metrics().routedToOtherReplicas()).isEqualTo(1);
        }
    }

    @Test
    void replicasVerifyEachOthersCertificateAgainstTheHostNameEachAdvertises() throws Exception {
        var certA = SelfSignedCert.forHost(dir, "kas-a", "kas-a.internal");
        var certB = SelfSignedCert.forHost(dir, "kas-b", "kas-b.internal");
        try (var holder = new Bridge(dir, null, null, Bridge.Replica.tls(redis.url(), certA, certB.certPem()).withServerName("kas-a.internal"));
             var other = new Bridge(dir, null, holder.gitlab, Bridge.Replica.tls(redis.url(), certB, certA.certPem()).withServerName("kas-b.internal"))) {
            assertThat(holder.kas.config().ownPrivateApiUrl()).startsWith("grpcs://127.0.0.1:");

            var response = routed(holder, other, "job-token-2", 502, holder.kas.config().ownPrivateApiUrl() + "?server_name=kas-a.internal");

            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            assertThat(other.kas.metrics().routedToOtherReplicas()).isEqualTo(1);
        }
    }

    @Test
    void withoutItsHostNameAReplicaWhoseCertificateNamesOnlyThatNameIsRefusedAsTls() throws Exception {
        var certA = SelfSignedCert.forHost(dir, "kas-a", "kas-a.internal");
        var certB = SelfSignedCert.forHost(dir, "kas-b", "kas-b.internal");
        try (var holder = new Bridge(dir, null, null, Bridge.Replica.tls(redis.url(), certA, certB.certPem()));
             var other = new Bridge(dir, null, holder.gitlab, Bridge.Replica.tls(redis.url(), certB, certA.certPem()).withServerName("kas-b.internal"))) {
            var response = routed(holder, other, "job-token-3", 503, holder.kas.config().ownPrivateApiUrl());

            assertThat(response.statusCode()).isEqualTo(503);
            assertThat(response.body()).contains(holder.kas.config().ownPrivateApiUrl() + " that holds agent").contains("unreachable")
                    .contains("No subject alternative names matching IP address 127.0.0.1").contains("DNS:kas-a.internal");
        }
    }

    /**
     * A job's request at {@code other}'s k8s proxy for an agent connected to {@code holder} only, once Redis lists
     * {@code holder} as {@code advertised} (its URL, with its TLS server name when it has one).
     */
    static HttpResponse<String> routed(Bridge holder, Bridge other, String jobToken, long jobId, String advertised) throws Exception {
        var reg = holder.register("group/project", "agent-" + jobId);
        long id = reg.agent().id();
        holder.job(jobToken, jobId, 77, "group/app", id);
        try (Agent agent = holder.startAgent(reg.token(), upstream.url())) {
            holder.awaitConnected(id);
            Eventually.until(Duration.ofSeconds(30), () -> "Redis lists " + advertised + " for agent " + id,
                    () -> redis.hgetall("kastor-test:agent_replicas:" + id).contains(advertised));
            Eventually.until(Duration.ofSeconds(30), () -> "the other replica is ready (Redis connected)", () -> other.kas.notReady().isEmpty());
            assertThat(other.kas.tunnels().connected(id)).as("the agent holds no tunnel on the other replica").isFalse();
            return client.send(HttpRequest.newBuilder(URI.create(other.proxyUrl() + "/api/v1/namespaces/default/pods"))
                    .header("Authorization", "Bearer ci:" + id + ":" + jobToken).timeout(Duration.ofSeconds(30)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        }
    }
}
