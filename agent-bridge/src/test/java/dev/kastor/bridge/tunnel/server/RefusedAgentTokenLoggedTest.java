package dev.kastor.bridge.tunnel.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.Bridge;
import dev.kastor.bridge.Upstream;
import dev.kastor.bridge.agentapp.Agent;
import dev.kastor.bridge.agents.Hashes;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.testing.Eventually;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * An operator sees every agent KAS turns away: which peer, which token (the first 8 hex digits of its SHA-256, what
 * KAS stores) and why (unknown, revoked, malformed), never the token itself; and an agent retrying (or a flood) writes
 * one line per peer and reason per interval, not one per attempt. Real KAS and real agents given wrong tokens.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RefusedAgentTokenLoggedTest {
    @TempDir
    static Path dir;
    static Bridge bridge;
    static Upstream upstream;
    static final List<Agent> agents = new ArrayList<>();
    static final JsonMapper JSON = JsonMapper.builder().build();
    /** Token by the reason KAS should give for refusing it. */
    static Map<String, String> tokens;

    @BeforeAll
    static void start() throws Exception {
        upstream = new Upstream();
        bridge = new Bridge(dir);
        var revoked = bridge.register("group/project", "old");
        bridge.kas.agents().revoke(revoked.agent().id());
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        tokens = Map.of(
                "unknown", "kastor_agent_" + Base64.getUrlEncoder().withoutPadding().encodeToString(random),
                "revoked", revoked.token(),
                "malformed", "hunter2-not-a-kastor-token");
        for (String token : tokens.values()) agents.add(bridge.startAgent(token, upstream.url()));
    }

    @AfterAll
    static void stop() {
        agents.forEach(Agent::close);
        if (bridge != null) bridge.close();
        if (upstream != null) upstream.close();
    }

    static List<JsonNode> refusals() {
        return bridge.logText().lines().map(JSON::readTree).filter(l -> l.path("msg").asString().equals("agent token refused")).toList();
    }

    @Test
    void eachRefusedTokenIsLoggedOnceWithPeerHashPrefixAndReasonButNeverTheToken() throws Exception {
        Eventually.until(Duration.ofSeconds(20), () -> "a refusal logged for each reason:\n" + bridge.logText(),
                () -> refusals().stream().map(l -> l.path("reason").asString()).distinct().count() == 3);
        // The agents keep retrying (backoff 0.2–2 s): every attempt is refused, and none of them adds a line. An absence
        // shows only over a span, and no retry leaves a trace to count: this one holds several retries of each agent.
        Thread.sleep(3000);

        var byReason = refusals().stream().collect(Collectors.groupingBy(l -> l.path("reason").asString()));
        assertThat(byReason.keySet()).containsExactlyInAnyOrder("unknown", "revoked", "malformed");
        tokens.forEach((reason, token) -> {
            assertThat(byReason.get(reason)).as("one line for %s within the interval", reason).hasSize(1);
            JsonNode line = byReason.get(reason).getFirst();
            assertThat(line.path("level").asString()).isEqualTo("warn");
            assertThat(line.path("peer").asString()).startsWith("/127.0.0.1:");
            assertThat(line.path("token_sha256_prefix").asString()).isEqualTo(Hashes.sha256(token).substring(0, 8));
            assertThat(bridge.logText()).doesNotContain(token).doesNotContain(token.substring(token.length() - 12));
        });
    }

    @Test
    void aFloodFromOneAddressWritesOneLinePerIntervalThatCountsTheRest() throws Exception {
        var out = new ByteArrayOutputStream();
        var clock = new AtomicLong();
        var log = new RefusedTokenLog(new JsonLog(new PrintStream(out, true, StandardCharsets.UTF_8), "kas"), Duration.ofMillis(300), clock::get);
        var flooder = new InetSocketAddress("10.0.0.7", 40000);

        for (int i = 0; i < 10_000; i++) log.refused(new InetSocketAddress(flooder.getAddress(), 40000 + i % 20000), "token-" + i, "unknown");
        log.refused(new InetSocketAddress("10.0.0.8", 1), "other", "unknown");
        clock.addAndGet(Duration.ofMillis(299).toNanos());
        log.refused(flooder, "token-still-within", "unknown");
        clock.addAndGet(Duration.ofMillis(1).toNanos());
        log.refused(flooder, "token-last", "unknown");

        var lines = out.toString(StandardCharsets.UTF_8).lines().map(JSON::readTree).toList();
        assertThat(lines).extracting(l -> l.path("peer").asString()).containsExactly("/10.0.0.7:40000", "/10.0.0.8:1", "/10.0.0.7:40000");
        assertThat(lines).extracting(l -> l.path("suppressed").asLong()).containsExactly(0L, 0L, 10_000L);
        assertThat(out.toString(StandardCharsets.UTF_8)).doesNotContain("token-");
    }
}
