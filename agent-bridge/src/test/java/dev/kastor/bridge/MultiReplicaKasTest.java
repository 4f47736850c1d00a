package dev.kastor.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.agentapp.Agent;
import dev.kastor.bridge.routing.RoutingDefaults;
import dev.kastor.bridge.routing.rpc.PrivateApiGrpc;
import dev.kastor.bridge.routing.server.PrivateApiJwt;
import dev.kastor.bridge.tunnel.TunnelDefaults;
import dev.kastor.bridge.tunnel.rpc.AgentFrame;
import dev.kastor.bridge.tunnel.rpc.CloseSend;
import dev.kastor.bridge.tunnel.rpc.KasFrame;
import dev.kastor.bridge.tunnel.rpc.RequestInfo;
import dev.kastor.testing.Eventually;
import dev.kastor.testing.Programs;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Two real KAS replicas (A and B) sharing one real Redis, one agents.json and the same secrets, behind which a CI job
 * may land on either; the agent dials replica A only. Requests reaching B must be carried to A over the private API.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MultiReplicaKasTest {
    @TempDir
    static Path dir;
    static RedisServer redis;
    static Upstream upstream;
    static Bridge replicaA;
    static Bridge replicaB;
    static Agent agent;
    static long agentId;
    static final CountDownLatch[] chunkGates = {new CountDownLatch(1), new CountDownLatch(1)};
    static final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static final List<AutoCloseable> closeLast = new CopyOnWriteArrayList<>();
    static final long BIG = 100L * 1024 * 1024;
    static final AtomicLong bigWritten = new AtomicLong();
    static final JsonMapper JSON = JsonMapper.builder().build();
    static final String RETRY_LOGGED = "retrying on the next replica holding the agent";
    /**
     * The bound "within seconds" checks: each replica that cannot be reached costs a request at most
     * {@link RoutingDefaults#REPLICA_CONNECT_TIMEOUT} (the ones here refuse at once), three times that is the margin
     * for a slow machine, and a hang (the 30 s request timeout, the k8s proxy's 70 s for a response head) lies past it.
     * A request given this as its timeout either answers within it or fails with {@code HttpTimeoutException}.
     */
    static final Duration NO_HANG = RoutingDefaults.REPLICA_CONNECT_TIMEOUT.multipliedBy(3);

    @BeforeAll
    static void start() throws Exception {
        redis = RedisServer.start();
        upstream = new Upstream()
                .handle("/api/v1/namespaces/default/pods", ex -> Upstream.send(ex, 200, "application/json",
                        "{\"kind\":\"PodList\",\"items\":[]}".getBytes(StandardCharsets.UTF_8)))
                .handle("/api/v1/namespaces/jwt-test", ex -> Upstream.send(ex, 200, "application/json", "{}".getBytes(StandardCharsets.UTF_8)))
                .handle("/big", Upstream.countedBody(BIG, new byte[64 * 1024], bigWritten))
                .handle("/watch", Upstream.gatedWatch(chunkGates))
                .handle("/api/v1/namespaces/default/configmaps", ex -> {
                    byte[] body = ex.getRequestBody().readAllBytes();
                    Upstream.send(ex, 201, "application/json", body);
                });
        replicaA = new Bridge(dir, null, null, new Bridge.Replica(redis.url()));
        replicaB = new Bridge(dir, null, replicaA.gitlab, new Bridge.Replica(redis.url()));
        var connected = replicaA.connectAgent("job-token-1", 501, upstream.url());
        agentId = connected.id();
        agent = connected.agent();
        awaitTracked(agentId, replicaA);
    }

    @AfterAll
    static void stop() throws Exception {
        chunkGates[0].countDown();
        chunkGates[1].countDown();
        if (agent != null) agent.close();
        for (AutoCloseable c : closeLast) c.close();
        if (replicaB != null) {
            System.out.println("replica B:\n" + replicaB.logText());
            replicaB.close();
        }
        if (replicaA != null) {
            System.out.println("replica A:\n" + replicaA.logText());
            replicaA.close();
        }
        if (upstream != null) upstream.close();
        if (redis != null) redis.close();
    }

    static String trackerKey(long id) {
        return "kastor-test:agent_replicas:" + id;
    }

    /** Waits until Redis says the replica holds the agent. */
    static void awaitTracked(long id, Bridge replica) throws Exception {
        awaitTracked(redis, id, replica);
    }

    static void awaitTracked(RedisServer redis, long id, Bridge replica) throws Exception {
        String url = replica.kas.config().ownPrivateApiUrl();
        Eventually.until(Duration.ofSeconds(30), () -> "Redis lists " + url + " for agent " + id, () -> redis.hgetall(trackerKey(id)).contains(url));
    }

    static HttpRequest.Builder request(Bridge replica, long agent, String path) {
        return request(replica, agent, "job-token-1", path);
    }

    /** Each test's job has its own token: the GitLab stand-in and KAS's cache know a token as one job. */
    static HttpRequest.Builder request(Bridge replica, long agent, String jobToken, String path) {
        return HttpRequest.newBuilder(URI.create(replica.proxyUrl() + path))
                .header("Authorization", "Bearer ci:" + agent + ":" + jobToken).timeout(Duration.ofSeconds(30));
    }

    @Test
    void requestOnReplicaWithoutTunnelIsRoutedToTheReplicaHoldingIt() throws Exception {
        assertThat(replicaB.kas.tunnels().connected(agentId)).as("the agent holds no tunnel on replica B").isFalse();
        long routedBefore = replicaB.kas.metrics().routedToOtherReplicas();

        var r = client.send(request(replicaB, agentId, "/api/v1/namespaces/default/pods?limit=5").GET().build(), HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("{\"kind\":\"PodList\",\"items\":[]}");
        Upstream.Seen seen = upstream.seen.stream().filter(s -> "limit=5".equals(s.query())).findFirst().orElseThrow();
        assertThat(seen.headers().get("Impersonate-user")).containsExactly("gitlab:ci_job:501");
        assertThat(seen.headers().get("Authorization")).containsExactly("Bearer agent-sa-token");
        assertThat(replicaB.kas.metrics().routedToOtherReplicas()).isEqualTo(routedBefore + 1);
        assertThat(replicaB.kas.metrics().prometheus()).contains("kastor_kas_routed_requests_total " + (routedBefore + 1));
        assertThat(replicaA.logText()).contains("routed request");
        // Neither the JWTs (base64url JSON starts "eyJ") nor the shared key reach the logs.
        assertThat(replicaA.logText() + replicaB.logText()).doesNotContain("eyJ").doesNotContain(Bridge.SECRET).doesNotContain("job-token-1");
    }

    @Test
    void watchStreamsChunkByChunkAcrossReplicas() throws Exception {
        var r = client.send(request(replicaB, agentId, "/watch?watch=1").timeout(Duration.ofSeconds(90)).GET().build(), HttpResponse.BodyHandlers.ofLines());
        var lines = r.body().iterator();

        // The upstream holds back the next event until the client behind replica B has seen the previous one.
        assertThat(lines.next()).isEqualTo("{\"type\":\"ADDED\",\"n\":0}");
        chunkGates[0].countDown();
        assertThat(lines.next()).isEqualTo("{\"type\":\"ADDED\",\"n\":1}");
        chunkGates[1].countDown();
        assertThat(lines.next()).isEqualTo("{\"type\":\"ADDED\",\"n\":2}");
        assertThat(lines.hasNext()).isFalse();
    }

    /** One private API call to replica A, as another replica would make it, with the given authorization (or none). */
    static Status callPrivateApi(String authorization) throws Exception {
        URI own = URI.create(replicaA.kas.config().ownPrivateApiUrl());
        ManagedChannel channel = NettyChannelBuilder.forAddress(own.getHost(), own.getPort()).usePlaintext().build();
        try {
            var md = new Metadata();
            md.put(Metadata.Key.of("kastor-agent-id", Metadata.ASCII_STRING_MARSHALLER), Long.toString(agentId));
            if (authorization != null) md.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), authorization);
            var done = new CompletableFuture<Status>();
            var frames = new ArrayList<AgentFrame>();
            StreamObserver<KasFrame> out = PrivateApiGrpc.newStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md))
                    .proxy(new StreamObserver<>() {
                        @Override
                        public void onNext(AgentFrame f) {
                            frames.add(f);
                        }

                        @Override
                        public void onError(Throwable t) {
                            done.complete(Status.fromThrowable(t));
                        }

                        @Override
                        public void onCompleted() {
                            // This caller does not set accepts_response (as a KAS older than the Response frame): even a
                            // small answer must come as Header, Message*, Trailer.
                            boolean streamed = frames.stream().anyMatch(AgentFrame::hasTrailer) && frames.getFirst().getHeader().getStatus() == 200
                                    && frames.stream().noneMatch(AgentFrame::hasResponse);
                            done.complete(streamed ? Status.OK : Status.UNKNOWN.withDescription("frames: " + frames));
                        }
                    });
            out.onNext(KasFrame.newBuilder().setRequestInfo(RequestInfo.newBuilder().setMethod("GET").setPath("/api/v1/namespaces/jwt-test")).build());
            out.onNext(KasFrame.newBuilder().setCloseSend(CloseSend.getDefaultInstance()).build());
            Status s = done.get(30, TimeUnit.SECONDS);
            out.onCompleted();
            return s;
        } finally {
            channel.shutdownNow();
        }
    }

    @Test
    void privateApiRefusesCallsWithoutValidJwt() throws Exception {
        var otherKey = new PrivateApiJwt(Base64.getEncoder().encodeToString("another-key-of-thirty-two-bytes!".getBytes(StandardCharsets.US_ASCII)), Clock.systemUTC());
        var rightKeyButOld = new PrivateApiJwt(Bridge.SECRET, Clock.fixed(Instant.now().minus(Duration.ofMinutes(5)), ZoneOffset.UTC));
        var rightKeyFarFuture = new PrivateApiJwt(Bridge.SECRET, Clock.fixed(Instant.now().plus(Duration.ofHours(1)), ZoneOffset.UTC));
        String unsigned = "eyJhbGciOiJub25lIn0." + Base64.getUrlEncoder().withoutPadding()
                .encodeToString("{\"iss\":\"kastor-kas\",\"aud\":\"kastor-kas\",\"exp\":9999999999}".getBytes(StandardCharsets.UTF_8)) + ".";

        String a = replicaA.kas.config().ownPrivateApiUrl();
        var rightKey = new PrivateApiJwt(Bridge.SECRET, Clock.systemUTC());
        for (String auth : new String[] {null, "Bearer not-a-jwt", "Bearer " + otherKey.mint(a, agentId), "Bearer " + rightKeyButOld.mint(a, agentId),
                "Bearer " + rightKeyFarFuture.mint(a, agentId), "Bearer " + unsigned,
                "Bearer " + rightKey.mint(replicaB.kas.config().ownPrivateApiUrl(), agentId), "Bearer " + rightKey.mint(a, agentId + 1000)}) {
            assertThat(callPrivateApi(auth).getCode()).as("call with %s", auth == null ? "no token" : auth.length() > 20 ? "a bad JWT" : auth)
                    .isEqualTo(Status.Code.UNAUTHENTICATED);
        }
        assertThat(upstream.seen).as("nothing reached the agent").noneMatch(s -> s.path().equals("/api/v1/namespaces/jwt-test"));

        // Refused above too: a valid token made for replica B, and one made for another agent.
        // The same call with a valid JWT for this replica and agent does reach the agent: the refusals were about the token alone.
        assertThat(callPrivateApi("Bearer " + rightKey.mint(a, agentId)).getCode()).isEqualTo(Status.Code.OK);
        assertThat(upstream.seen).anyMatch(s -> s.path().equals("/api/v1/namespaces/jwt-test"));
    }

    @Test
    void agentGoneGives503OnOtherReplicaWithinSeconds() throws Exception {
        var reg = replicaA.register("group/project", "staging");
        replicaA.job("job-token-2", 502, 77, "group/app", reg.agent().id());
        Agent second = replicaA.startAgent(reg.token(), upstream.url());
        try {
            replicaA.awaitConnected(reg.agent().id());
            awaitTracked(reg.agent().id(), replicaA);
            var before = client.send(request(replicaB, reg.agent().id(), "job-token-2", "/api/v1/namespaces/default/pods").GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(before.statusCode()).isEqualTo(200);
        } finally {
            second.close();
        }

        // The bound checked: once the agent is gone, a request waits at most WAIT_FOR_IDLE_STREAM for a tunnel of it
        // before the 503; twice that is the margin for a slow machine.
        Duration bound = TunnelDefaults.WAIT_FOR_IDLE_STREAM.multipliedBy(2);
        var r = Eventually.value(bound, () -> "a 503 for the gone agent from replica B",
                () -> client.send(request(replicaB, reg.agent().id(), "job-token-2", "/api/v1/namespaces/default/pods").timeout(bound).GET().build(),
                        HttpResponse.BodyHandlers.ofString()),
                answer -> answer.statusCode() == 503);

        assertThat(r.body()).contains("\"kind\":\"Status\"").contains("\"code\":503").contains("is not connected");
    }

    @Test
    void replicaThatCannotBeReachedGives503InsteadOfHanging() throws Exception {
        var reg = replicaA.register("group/project", "nowhere");
        replicaA.job("job-token-3", 503, 77, "group/app", reg.agent().id());
        // A replica that claims the agent and then died without a word: its entry is still live in Redis.
        String dead = "grpc://127.0.0.1:" + Programs.freePort();
        redis.command("HSET", trackerKey(reg.agent().id()), dead, Long.toString(System.currentTimeMillis() + 60_000));

        var r = client.send(request(replicaB, reg.agent().id(), "job-token-3", "/api/v1/namespaces/default/pods").timeout(NO_HANG).GET().build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.body()).contains("\"kind\":\"Status\"").contains(dead).contains("unreachable");
        // nothing reached an agent: kubectl may come back by itself (its agent moves to a replica that is up)
        assertThat(r.headers().firstValue("Retry-After")).contains(String.valueOf(dev.kastor.bridge.tunnel.TunnelDefaults.RETRY_AFTER_SECONDS));
    }

    @Test
    void trackerEntryDisappearsWhenReplicaStops() throws Exception {
        var replicaC = new Bridge(dir, null, replicaA.gitlab, new Bridge.Replica(redis.url()));
        String urlC = replicaC.kas.config().ownPrivateApiUrl();
        var reg = replicaC.register("group/project", "canary");
        Agent third = replicaC.startAgent(reg.token(), upstream.url());
        closeLast.add(third);
        try {
            replicaC.awaitConnected(reg.agent().id());
            awaitTracked(reg.agent().id(), replicaC);
            List<String> fields = redis.hgetall(trackerKey(reg.agent().id()));
            long expiry = Long.parseLong(fields.get(fields.indexOf(urlC) + 1));
            assertThat(expiry - System.currentTimeMillis()).as("entry lifetime (ms)").isBetween(240_000L, 300_000L);
            assertThat((Long) redis.command("PTTL", trackerKey(reg.agent().id()))).isBetween(240_000L, 300_000L);
        } finally {
            replicaC.close();
        }

        assertThat(redis.hgetall(trackerKey(reg.agent().id()))).as("entries right after replica C stopped").doesNotContain(urlC);
    }

    @Test
    void singleNodeNeedsNoRedis(@TempDir Path single) throws Exception {
        try (var kas = new Bridge(single)) {
            assertThat(kas.kas.config().redis()).isNull();
            assertThat(kas.kas.routing().privateApiPort()).as("no private API port on a single node").isEqualTo(-1);
            var r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + kas.kas.apiPort() + "/readyz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
        }
    }

    @Test
    void redisDownMakesReadyzFail(@TempDir Path own) throws Exception {
        try (var ownRedis = RedisServer.start(); var replica = new Bridge(own, null, null, new Bridge.Replica(ownRedis.url()))) {
            var reg = replica.register("group/project", "local");
            var elsewhere = replica.register("group/project", "elsewhere");
            replica.job("job-token-4", 504, 77, "group/app", reg.agent().id(), elsewhere.agent().id());
            try (Agent local = replica.startAgent(reg.token(), upstream.url())) {
                replica.awaitConnected(reg.agent().id());
                URI readyz = URI.create("http://127.0.0.1:" + replica.kas.apiPort() + "/readyz");
                assertThat(awaitReadyz(readyz, 200).body()).isEqualTo("ok\n");

                ownRedis.stop();

                var down = awaitReadyz(readyz, 503);
                assertThat(down.body()).contains("Redis at 127.0.0.1:" + ownRedis.port() + " is unreachable");
                // Agents held here keep working; agents held elsewhere cannot be found, and the answer says why.
                assertThat(client.send(request(replica, reg.agent().id(), "job-token-4", "/api/v1/namespaces/default/pods").GET().build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
                var r = client.send(request(replica, elsewhere.agent().id(), "job-token-4", "/api/v1/namespaces/default/pods").GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(503);
                assertThat(r.body()).contains("\"kind\":\"Status\"").contains("Redis at 127.0.0.1:" + ownRedis.port() + " is unreachable");

                ownRedis.startAgain();

                assertThat(awaitReadyz(readyz, 200).body()).isEqualTo("ok\n");
                // Redis came back empty: the replica writes its agents again.
                Eventually.until(Duration.ofSeconds(30), () -> "agent re-registered; replica log:\n" + replica.logText(),
                        () -> ownRedis.hgetall(trackerKey(reg.agent().id())).contains(replica.kas.config().ownPrivateApiUrl()));
            }
        }
    }

    @Test
    void pausedClientHoldsBackTheAgentAcrossReplicas() throws Exception {
        var r = client.send(request(replicaB, agentId, "/big").timeout(Duration.ofSeconds(110)).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        try (var in = r.body()) {
            assertThat(r.headers().firstValue("content-length")).hasValue(String.valueOf(BIG));
            in.readNBytes(1024);
            // The client behind replica B stops reading: both hops must stop pulling instead of buffering the body.
            Upstream.awaitWritesStop(bigWritten);
            assertThat(bigWritten.get()).as("bytes the upstream could write while the client paused").isLessThan(40L * 1024 * 1024);

            long total = 1024;
            byte[] buf = new byte[65536];
            int n;
            while ((n = in.read(buf)) >= 0) total += n;
            assertThat(total).isEqualTo(BIG);
        }
    }

    @Test
    void webSocketUpgradeWorksAcrossReplicas() throws Exception {
        try (var ws = new WebSocketEchoUpstream()) {
            var reg = replicaA.register("group/project", "sockets");
            replicaA.job("job-token-5", 506, 77, "group/app", reg.agent().id());
            Agent wsAgent = replicaA.startAgent(reg.token(), ws.url());
            try {
                replicaA.awaitConnected(reg.agent().id());
                awaitTracked(reg.agent().id(), replicaA);
                var received = new LinkedBlockingQueue<String>();
                var socket = HttpClient.newHttpClient().newWebSocketBuilder()
                        .header("Authorization", "Bearer ci:" + reg.agent().id() + ":job-token-5")
                        .buildAsync(URI.create(replicaB.proxyUrl().replace("http://", "ws://") + "/ws?watch=true"), new java.net.http.WebSocket.Listener() {
                            final StringBuilder text = new StringBuilder();

                            @Override
                            public java.util.concurrent.CompletionStage<?> onText(java.net.http.WebSocket w, CharSequence data, boolean last) {
                                text.append(data);
                                if (last) {
                                    received.add(text.toString());
                                    text.setLength(0);
                                }
                                w.request(1);
                                return null;
                            }
                        }).get(60, TimeUnit.SECONDS);

                socket.sendText("hello", true).get(30, TimeUnit.SECONDS);
                assertThat(received.poll(60, TimeUnit.SECONDS)).isEqualTo("echo:hello");
                socket.sendText("second", true).get(30, TimeUnit.SECONDS);
                assertThat(received.poll(60, TimeUnit.SECONDS)).isEqualTo("echo:second");
                assertThat(ws.upgrades().getFirst().get("impersonate-user")).isEqualTo("gitlab:ci_job:506");
                socket.sendClose(java.net.http.WebSocket.NORMAL_CLOSURE, "done").get(30, TimeUnit.SECONDS);
            } finally {
                wsAgent.close();
            }
        }
    }

    /** Makes the tracker list {@code url} for the agent as a replica that holds it would, newest (so tried first). */
    static void staleEntry(long agent, String url, Duration ahead) throws Exception {
        redis.command("HSET", trackerKey(agent), url, Long.toString(System.currentTimeMillis() + ahead.toMillis()));
    }

    /**
     * Removes every holder of the agent from Redis but {@code keep}: a replica another test stopped may still have an
     * entry that has not expired, and a test that counts the holders tried must know them all.
     */
    static void onlyHolders(long agent, String... keep) throws Exception {
        List<String> fields = redis.hgetall(trackerKey(agent));
        for (int i = 0; i < fields.size(); i += 2) {
            if (!List.of(keep).contains(fields.get(i))) redis.command("HDEL", trackerKey(agent), fields.get(i));
        }
    }

    /** The private API URL of a real replica that has just stopped: nothing listens there any more. */
    static String stoppedReplica() throws Exception {
        var gone = new Bridge(dir, null, replicaA.gitlab, new Bridge.Replica(redis.url()));
        String url = gone.kas.config().ownPrivateApiUrl();
        gone.close();
        return url;
    }

    @Test
    void requestGoesToTheNextHolderWhenTheFirstReplicaIsGone() throws Exception {
        String crashed = stoppedReplica();
        String neverThere = "grpc://127.0.0.1:" + Programs.freePort();
        // Two replicas that died without removing their entries, both refreshed after replica A: they come first.
        staleEntry(agentId, crashed, Duration.ofMinutes(20));
        staleEntry(agentId, neverThere, Duration.ofMinutes(10));
        try {
            var r = client.send(request(replicaB, agentId, "/api/v1/namespaces/default/pods?limit=7").timeout(NO_HANG).GET().build(),
                    HttpResponse.BodyHandlers.ofString());

            assertThat(r.statusCode()).as("answer after skipping %s and %s: %s", crashed, neverThere, r.body()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("{\"kind\":\"PodList\",\"items\":[]}");
            assertThat(upstream.seen.stream().filter(s -> "limit=7".equals(s.query())).count()).as("requests the agent passed on").isEqualTo(1);
        } finally {
            redis.command("HDEL", trackerKey(agentId), crashed, neverThere);
        }
    }

    @Test
    void deleteGoesToTheNextHolderWhenTheFirstCouldNotBeReachedAtAll() throws Exception {
        // A DELETE goes again only when the holder was never reached (connection refused): then it cannot have run.
        String crashed = stoppedReplica();
        staleEntry(agentId, crashed, Duration.ofMinutes(20));
        try {
            var r = client.send(request(replicaB, agentId, "/api/v1/namespaces/default/pods?delete=once").DELETE().build(), HttpResponse.BodyHandlers.ofString());

            assertThat(r.statusCode()).as("answer after skipping %s: %s", crashed, r.body()).isEqualTo(200);
            assertThat(upstream.seen.stream().filter(s -> "delete=once".equals(s.query())).count()).as("DELETEs the agent passed on").isEqualTo(1);
        } finally {
            redis.command("HDEL", trackerKey(agentId), crashed);
        }
    }

    /** The lines of {@code replica}'s JSON log whose {@code msg} is {@code msg}. */
    static List<JsonNode> logged(Bridge replica, String msg) {
        return replica.logText().lines().filter(l -> l.startsWith("{")).map(JSON::readTree)
                .filter(n -> msg.equals(n.path("msg").asString())).toList();
    }

    @Test
    void eachRetryIsLoggedWithTheReplicaThatFailedWhyAndTheReplicaTriedNext() throws Exception {
        String crashed = stoppedReplica();
        onlyHolders(agentId, replicaA.kas.config().ownPrivateApiUrl());
        staleEntry(agentId, crashed, Duration.ofMinutes(20));
        long retriesBefore = replicaB.kas.metrics().retriesOnNextReplica();
        try {
            var r = client.send(request(replicaB, agentId, "/api/v1/namespaces/default/pods?limit=9").GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as("answer after skipping %s: %s", crashed, r.body()).isEqualTo(200);
        } finally {
            redis.command("HDEL", trackerKey(agentId), crashed);
        }

        var retries = logged(replicaB, RETRY_LOGGED).stream().filter(n -> crashed.equals(n.path("failed_replica").asString())).toList();
        assertThat(retries).as("retry lines naming %s in replica B's log:\n%s", crashed, replicaB.logText()).hasSize(1);
        JsonNode retry = retries.getFirst();
        assertThat(retry.path("level").asString()).isEqualTo("warn");
        assertThat(retry.path("agent_id").asLong()).isEqualTo(agentId);
        assertThat(retry.path("code").asString()).isEqualTo("UNAVAILABLE");
        assertThat(retry.path("error").asString()).containsIgnoringCase("connection refused");
        assertThat(retry.path("next_replica").asString()).isEqualTo(replicaA.kas.config().ownPrivateApiUrl());
        assertThat(retry.path("attempt").asInt()).isEqualTo(2);
        assertThat(retry.path("max_attempts").asInt()).as("holders to try: %s and replica A", crashed).isEqualTo(2);
        assertThat(retry.path("method").asString()).isEqualTo("GET");
        // The request's own correlation id: replica B proxied it, and replica A passed it to the agent, under the same one.
        String correlationId = retry.path("correlation_id").asString();
        assertThat(correlationId).isNotBlank();
        assertThat(logged(replicaB, "proxying")).anyMatch(n -> correlationId.equals(n.path("correlation_id").asString()));
        assertThat(logged(replicaA, "routed request")).anyMatch(n -> correlationId.equals(n.path("correlation_id").asString()));

        assertThat(replicaB.kas.metrics().retriesOnNextReplica()).isEqualTo(retriesBefore + 1);
        assertThat(replicaB.kas.metrics().prometheus()).contains("kastor_kas_routed_request_retries_total " + (retriesBefore + 1));
        // No JWT (base64url JSON starts "eyJ"), shared key, job token or agent credential in the line, nor anywhere in the log.
        assertThat(retry.toString()).doesNotContainIgnoringCase("bearer");
        assertThat(replicaB.logText()).doesNotContain("eyJ").doesNotContain(Bridge.SECRET).doesNotContain("job-token-1").doesNotContain("agent-sa-token");
    }

    @Test
    void noLiveHolderAmongSeveralGives503NamingThemWithinSeconds() throws Exception {
        var reg = replicaA.register("group/project", "all-gone");
        replicaA.job("job-token-6", 507, 77, "group/app", reg.agent().id());
        String crashed = stoppedReplica();
        String neverThere = "grpc://127.0.0.1:" + Programs.freePort();
        staleEntry(reg.agent().id(), crashed, Duration.ofMinutes(2));
        staleEntry(reg.agent().id(), neverThere, Duration.ofMinutes(1));

        var r = client.send(request(replicaB, reg.agent().id(), "job-token-6", "/api/v1/namespaces/default/pods").timeout(NO_HANG).GET().build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.body()).contains("\"kind\":\"Status\"").contains("unreachable").contains(crashed).contains(neverThere);
    }

    @Test
    void requestWhoseBodyWentOutIsNeverSentToAnotherReplica() throws Exception {
        // A "replica" that takes the connection and the request, then drops it: the body has gone out by then.
        try (var dropper = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            Thread.ofVirtual().start(() -> {
                try (var s = dropper.accept()) {
                    s.getInputStream().read(new byte[1]);
                    Thread.sleep(2000); // behaviour, not waiting: this stand-in holds the request a while before it drops it
                } catch (Exception ignored) {
                    // the test ends
                }
            });
            String dropping = "grpc://127.0.0.1:" + dropper.getLocalPort();
            staleEntry(agentId, dropping, Duration.ofMinutes(20));
            try {
                var r = client.send(request(replicaB, agentId, "/api/v1/namespaces/default/configmaps")
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"kind\":\"ConfigMap\"}")).build(),
                        HttpResponse.BodyHandlers.ofString());

                assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
                assertThat(r.body()).contains(dropping);
                // the POST may have had its effect: client-go would send it again on a Retry-After
                assertThat(r.headers().firstValue("Retry-After")).isEmpty();
                assertThat(upstream.seen).as("the POST reached no agent through replica A").noneMatch(s -> s.path().equals("/api/v1/namespaces/default/configmaps"));
            } finally {
                redis.command("HDEL", trackerKey(agentId), dropping);
            }
        }
    }

    @Test
    void privateApiOverGrpcsTrustsTheConfiguredCa(@TempDir Path own) throws Exception {
        var cert = dev.kastor.testing.SelfSignedCert.create(own, "private-api");
        try (var ownRedis = RedisServer.start();
             var a = new Bridge(own, null, null, Bridge.Replica.tls(ownRedis.url(), cert, cert.certPem()));
             var b = new Bridge(own, null, a.gitlab, Bridge.Replica.tls(ownRedis.url(), cert, cert.certPem()));
             var jvmTrustOnly = new Bridge(own, null, a.gitlab, Bridge.Replica.tls(ownRedis.url(), cert, null))) {
            assertThat(a.kas.config().ownPrivateApiUrl()).startsWith("grpcs://");
            var reg = a.register("group/project", "tls");
            a.job("job-token-7", 508, 77, "group/app", reg.agent().id());
            try (Agent tlsAgent = a.startAgent(reg.token(), upstream.url())) {
                a.awaitConnected(reg.agent().id());
                awaitTracked(ownRedis, reg.agent().id(), a);

                var r = client.send(request(b, reg.agent().id(), "job-token-7", "/api/v1/namespaces/default/pods?limit=8").GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                assertThat(b.kas.metrics().routedToOtherReplicas()).isEqualTo(1);

                // The same call from a replica that trusts only the JVM's CAs fails the TLS handshake: the CA file is what made it work.
                var refused = client.send(request(jvmTrustOnly, reg.agent().id(), "job-token-7", "/api/v1/namespaces/default/pods").GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(refused.statusCode()).isEqualTo(503);
                assertThat(refused.body()).contains(a.kas.config().ownPrivateApiUrl()).contains("unreachable");
            }
        }
    }

    static HttpResponse<String> awaitReadyz(URI readyz, int status) throws Exception {
        return Eventually.value(Duration.ofSeconds(30), () -> "/readyz answers " + status,
                () -> client.send(HttpRequest.newBuilder(readyz).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()),
                r -> r.statusCode() == status);
    }
}
