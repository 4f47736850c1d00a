package dev.kastor.bridge.statuspage.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.Bridge;
import dev.kastor.bridge.GitHttpServer;
import dev.kastor.bridge.RedisServer;
import dev.kastor.bridge.Upstream;
import dev.kastor.bridge.agentapp.Agent;
import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.testing.Eventually;
import dev.kastor.testing.GitLabApiStandIn;
import dev.kastor.testing.Programs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Two real KAS replicas on one real Redis, the agent connected to replica A only: replica B's status page says the
 * agent is connected, that A holds it (by A's private API URL, from Redis), its registration with A (shared through
 * Redis), and its Flux objects and deployments, read through A's private API. Killed, the agent shows as disconnected on B too;
 * with Redis away, as unknown.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StatusPageAcrossReplicasTest {
    static final String OPERATOR_TOKEN = "operator-token-0123456789abcdef0123456789";
    static final Duration WITHIN = Duration.ofSeconds(30);

    @TempDir
    static Path dir;
    static RedisServer redis;
    static GitLabApiStandIn gitlab;
    static Bridge replicaA;
    static Bridge replicaB;
    static Bridge.Replica a;
    static Upstream apiServer;
    static GitHttpServer git;
    static Agent agent;
    static long agentId;

    @BeforeAll
    static void start() throws Exception {
        redis = RedisServer.start();
        gitlab = GitLabApiStandIn.start();
        // dana may use the agent (Developer in team/app, which its user_access names): she sees it, not the replicas' addresses
        git = GitHttpServer.start(Files.createDirectories(dir.resolve("git")));
        git.createRepo("platform/agents");
        git.commit("platform/agents", ".gitlab/agents/prod/config.yaml", "user_access:\n  access_as: {agent: {}}\n  projects:\n    - id: team/app\n");
        gitlab.addProject(100, "platform/agents");
        gitlab.addProject(501, "team/app");
        gitlab.addUser(new GitLabApiStandIn.User(900, "kas-bot", "active"));
        gitlab.addPersonalAccessToken(new GitLabApiStandIn.PersonalAccessToken("kas-read-api-token", 1, 900, List.of("read_api")));
        gitlab.addUser(new GitLabApiStandIn.User(47, "dana", "active"));
        gitlab.addPersonalAccessToken(new GitLabApiStandIn.PersonalAccessToken("dana-pat", 470, 47, List.of("k8s_proxy")));
        gitlab.addMember("team/app", 47, 30);
        Path kasToken = Files.writeString(dir.resolve("gitlab-api-token"), "kas-read-api-token\n");
        var configs = new KasConfig.AgentConfiguration(git.urlTemplate(), null, null, "1s", null, null, null);
        Path shared = Files.createDirectories(dir.resolve("kas"));
        var page = new KasConfig.StatusPage(Files.writeString(dir.resolve("operator-token"), OPERATOR_TOKEN).toString(), null);
        a = new Bridge.Replica(redis.url());
        replicaA = Bridge.setup(shared).gitlab(gitlab).replica(a).agentConfiguration(configs).apiTokenFile(kasToken).statusPage(page).start();
        replicaB = Bridge.setup(shared).gitlab(gitlab).replica(new Bridge.Replica(redis.url())).agentConfiguration(configs).apiTokenFile(kasToken)
                .statusPage(page).start();
        apiServer = FluxApiServer.start(new AtomicInteger(), new CopyOnWriteArrayList<>());
        var registered = replicaA.register("platform/agents", "prod");
        agentId = registered.agent().id();
        agent = replicaA.startAgent(registered.token(), apiServer.url());
        replicaA.awaitConnected(agentId);
    }

    @AfterAll
    static void stop() {
        Programs.closeAll(agent, replicaB, replicaA, apiServer, git, gitlab, redis);
    }

    @Test
    void anotherReplicaShowsTheAgentConnectedWhereItIsHeldAndReadsItsClusterThroughIt() throws Exception {
        var onB = StatusPageClient.signIn(replicaB.apiUrl(), OPERATOR_TOKEN);

        JsonNode seen = Eventually.value(WITHIN, () -> "the agent on replica B's page", () -> onB.agent(agentId),
                n -> n.path("replicas").path("holding").size() == 1 && n.path("deployments").size() == 2 && n.path("instances").size() == 1);

        assertThat(seen.path("connected").asBoolean()).as("connected to a replica").isTrue();
        assertThat(seen.path("replicas").path("here").asBoolean()).isFalse();
        assertThat(seen.path("replicas").path("holding").get(0).asString()).isEqualTo(a.privateApiUrl());
        assertThat(seen.path("tunnels").path("open").asInt()).as("B's own streams").isZero();
        assertThat(seen.path("instances").get(0).path("kubernetes_version").asString()).as("registered with A, shared through Redis")
                .isEqualTo("v1.32.3");
        assertThat(seen.path("cluster").has("problem")).isFalse();
        assertThat(seen.path("flux").valueStream().map(o -> o.path("kind").asString() + " " + o.path("name").asString()).toList())
                .contains("Kustomization broken");
        var dana = StatusPageClient.signIn(replicaB.apiUrl(), "dana-pat");
        JsonNode hers = Eventually.value(WITHIN, () -> "the agent on dana's page", () -> dana.agents(), list -> list.size() == 1).get(0);
        assertThat(hers.path("connected").asBoolean()).isTrue();
        assertThat(hers.has("replicas")).as("replicas' private addresses are the operator's business").isFalse();
        JsonNode onA = StatusPageClient.signIn(replicaA.apiUrl(), OPERATOR_TOKEN).agent(agentId);
        assertThat(onA.path("replicas").path("here").asBoolean()).isTrue();
        assertThat(onA.path("replicas").path("holding").valueStream().map(JsonNode::asString).toList()).containsExactly(a.privateApiUrl());

        agent.close();

        JsonNode gone = Eventually.value(WITHIN, () -> "the agent disconnected on replica B's page", () -> onB.agent(agentId),
                n -> !n.path("connected").asBoolean());
        assertThat(gone.path("replicas").path("holding").size()).isZero();
        assertThat(gone.has("cluster")).as("no replica can reach its cluster").isFalse();

        redis.stop();

        JsonNode unknown = Eventually.value(WITHIN, () -> "the agent on replica B's page with Redis away", () -> onB.agent(agentId),
                n -> n.path("replicas").has("problem"));
        assertThat(unknown.has("connected")).as("whether another replica holds it, nobody can say: not 'disconnected'").isFalse();
        assertThat(unknown.path("replicas").path("problem").asString()).contains("unreachable");
    }
}
