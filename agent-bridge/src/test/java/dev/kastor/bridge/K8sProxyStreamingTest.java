package dev.kastor.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.agentapp.Agent;
import dev.kastor.testing.Eventually;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Client (JDK HttpClient) -> KAS k8s proxy -> gRPC tunnel -> agent -> a real HTTP upstream, all over loopback
 * sockets: what reaches the upstream, and that bodies stream both ways with flow control instead of buffering.
 */
@org.junit.jupiter.api.Timeout(value = 90, unit = TimeUnit.SECONDS)
class K8sProxyStreamingTest {
    private static final long BIG = 100L * 1024 * 1024;
    static final CountDownLatch[] chunkGates = {new CountDownLatch(1), new CountDownLatch(1)};
    static final AtomicLong bigWritten = new AtomicLong();
    @RegisterExtension
    static final BridgeWithAgent kas = new BridgeWithAgent(() -> new Upstream()
                        .handle("/api/v1/namespaces/default/pods", ex -> Upstream.send(ex, 200, "application/json",
                                "{\"kind\":\"PodList\",\"items\":[]}".getBytes(StandardCharsets.UTF_8)))
                        .handle("/watch", Upstream.gatedWatch(chunkGates))
                        .handle("/no-content", ex -> {
                            try (ex) {
                                ex.sendResponseHeaders(204, -1);
                            }
                        })
                        .handle("/big", Upstream.countedBody(BIG, pattern(64 * 1024), bigWritten))
                        .handle("/upload", ex -> {
                            try {
                                var sha = MessageDigest.getInstance("SHA-256");
                                long n = 0;
                                try (InputStream in = ex.getRequestBody()) {
                                    byte[] buf = new byte[65536];
                                    int r;
                                    while ((r = in.read(buf)) >= 0) {
                                        sha.update(buf, 0, r);
                                        n += r;
                                    }
                                }
                                Upstream.send(ex, 201, "text/plain", (n + " " + HexFormat.of().formatHex(sha.digest())).getBytes(StandardCharsets.UTF_8));
                            } catch (java.security.NoSuchAlgorithmException e) {
                                throw new IllegalStateException(e);
                            }
                        }), "job-token-1", 501);
    static Bridge bridge;
    static Upstream upstream;
    static Agent agent;
    static long agentId;
    static final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void start() {
        bridge = kas.bridge();
        upstream = kas.upstream();
        agent = kas.agent();
        agentId = kas.agentId();
    }

    @AfterAll
    static void stop() {
        System.out.println(bridge == null ? "" : bridge.logText());
        chunkGates[0].countDown();
        chunkGates[1].countDown();
    }

    static HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(bridge.proxyUrl() + path))
                .header("Authorization", "Bearer ci:" + agentId + ":job-token-1").timeout(Duration.ofSeconds(120));
    }

    static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (i * 31 + 7);
        return b;
    }

    @Test
    void getReachesTheUpstreamAsTheAgentImpersonatingTheCiJob() throws Exception {
        var r = client.send(request("/api/v1/namespaces/default/pods?limit=5&labelSelector=app%3Dweb").GET().build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("{\"kind\":\"PodList\",\"items\":[]}");
        Upstream.Seen seen = upstream.seen.stream().filter(s -> s.path().equals("/api/v1/namespaces/default/pods") && s.query() != null).findFirst().orElseThrow();
        assertThat(seen.query()).isEqualTo("limit=5&labelSelector=app%3Dweb");
        assertThat(seen.headers().get("Authorization")).containsExactly("Bearer agent-sa-token");
        assertThat(seen.headers().get("Impersonate-user")).containsExactly("gitlab:ci_job:501");
        assertThat(seen.headers().get("Impersonate-group")).containsExactlyInAnyOrder("gitlab:ci_job", "gitlab:project:77",
                "gitlab:group:10", "gitlab:group:11", "gitlab:project_env:77:production", "gitlab:project_env_tier:77:production",
                "gitlab:group_env_tier:10:production", "gitlab:group_env_tier:11:production");
        assertThat(seen.headers().get("Impersonate-extra-agent.gitlab.com%2fci_job_id")).containsExactly("501");
        assertThat(seen.headers().get("Impersonate-extra-agent.gitlab.com%2fid")).containsExactly(String.valueOf(agentId));
        assertThat(seen.headers().toString()).doesNotContain("job-token-1");
        assertThat(bridge.logText()).doesNotContain("job-token-1");
    }

    @Test
    void oneKeepAliveConnectionCarriesThousandsOfQuickAnswersInARow() throws Exception {
        // The agent's answer can be complete before KAS has passed on the end of the client's request (a GET's empty
        // last chunk): the connection must still go on to read the next request instead of pausing for good.
        HttpClient oneConnection = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        for (int i = 0; i < 3000; i++) {
            var r = oneConnection.send(request("/api/v1/namespaces/default/pods").timeout(Duration.ofSeconds(5)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as("answer %d", i).isEqualTo(200);
            assertThat(r.body()).isEqualTo("{\"kind\":\"PodList\",\"items\":[]}");
        }
    }

    @Test
    void headAndNoContentAnswersKeepTheApiServersFramingAndTheConnectionGoesOn() throws Exception {
        HttpClient oneConnection = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        var direct = oneConnection.send(HttpRequest.newBuilder(URI.create(upstream.url() + "/api/v1/namespaces/default/pods"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        var head = oneConnection.send(request("/api/v1/namespaces/default/pods").method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.headers().firstValue("content-length")).as("what the API server says").isEqualTo(direct.headers().firstValue("content-length"));
        assertThat(head.body()).isEmpty();

        var none = oneConnection.send(request("/no-content").DELETE().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(none.statusCode()).isEqualTo(204);
        assertThat(none.headers().firstValue("content-length")).isEmpty();

        var get = oneConnection.send(request("/api/v1/namespaces/default/pods").GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(get.body()).isEqualTo("{\"kind\":\"PodList\",\"items\":[]}");
    }

    @Test
    void aChunkedResponseArrivesChunkByChunk() throws Exception {
        var r = client.send(request("/watch?watch=1").GET().build(), HttpResponse.BodyHandlers.ofLines());
        var lines = r.body().iterator();

        // The upstream holds back the next event until the client has seen the previous one.
        assertThat(lines.next()).isEqualTo("{\"type\":\"ADDED\",\"n\":0}");
        chunkGates[0].countDown();
        assertThat(lines.next()).isEqualTo("{\"type\":\"ADDED\",\"n\":1}");
        chunkGates[1].countDown();
        assertThat(lines.next()).isEqualTo("{\"type\":\"ADDED\",\"n\":2}");
        assertThat(lines.hasNext()).isFalse();
    }

    @Test
    void hundredMebibytesPassWhileAPausedClientHoldsBackTheUpstream() throws Exception {
        var r = client.send(request("/big").GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = r.body()) {
            assertThat(r.headers().firstValue("content-length")).hasValue(String.valueOf(BIG));
            in.readNBytes(1024);
            // The client stops reading: the tunnel must stop pulling from the upstream instead of buffering the body.
            Upstream.awaitWritesStop(bigWritten);
            assertThat(bigWritten.get()).as("bytes the upstream could write while the client paused").isLessThan(40L * 1024 * 1024);

            var sha = MessageDigest.getInstance("SHA-256");
            var expected = MessageDigest.getInstance("SHA-256");
            byte[] block = pattern(64 * 1024);
            for (long i = 0; i < BIG; i += block.length) expected.update(block);
            sha.update(block, 0, 1024);
            long total = 1024;
            byte[] buf = new byte[65536];
            int n;
            while ((n = in.read(buf)) >= 0) {
                sha.update(buf, 0, n);
                total += n;
            }
            assertThat(total).isEqualTo(BIG);
            assertThat(sha.digest()).isEqualTo(expected.digest());
        }
    }

    @Test
    void aChunkedRequestBodyStreamsToTheUpstream() throws Exception {
        long size = 20L * 1024 * 1024;
        byte[] block = pattern(64 * 1024);
        var expected = MessageDigest.getInstance("SHA-256");
        for (long i = 0; i < size; i += block.length) expected.update(block);
        var body = HttpRequest.BodyPublishers.ofInputStream(() -> new InputStream() {
            long left = size;

            @Override
            public int read() {
                throw new UnsupportedOperationException();
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (left == 0) return -1;
                int n = (int) Math.min(Math.min(len, block.length), left);
                System.arraycopy(block, 0, b, off, n);
                left -= n;
                return n;
            }
        });

        var r = client.send(request("/upload").POST(body).header("Content-Type", "application/octet-stream").build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).isEqualTo(201);
        assertThat(r.body()).isEqualTo(size + " " + HexFormat.of().formatHex(expected.digest()));
    }

    @Test
    void aFixedLengthRequestBodyArrivesWhole() throws Exception {
        byte[] body = pattern(300_000);
        var r = client.send(request("/upload").POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).isEqualTo(201);
        assertThat(r.body()).isEqualTo(body.length + " " + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body)));
    }

    @Test
    void metricsCountProxiedRequestsAndConnectedAgents() throws Exception {
        client.send(request("/api/v1/namespaces/default/pods").GET().build(), HttpResponse.BodyHandlers.ofString());
        // KAS counts a request when the agent's trailer ends it, which may come just after the client has the whole body.
        var metrics = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + bridge.kas.apiPort() + "/metrics")).build();
        var r = Eventually.value(java.time.Duration.ofSeconds(10), () -> "the request counted in /metrics", () -> client.send(metrics, HttpResponse.BodyHandlers.ofString()),
                answer -> answer.body().contains("kastor_kas_proxied_requests_total{code=\"200\"}"));

        assertThat(r.body()).contains("kastor_kas_connected_agents 1").contains("kastor_kas_proxied_requests_total{code=\"200\"}")
                .contains("kastor_kas_proxied_request_duration_seconds_count");
    }
}
