package dev.kastor.bridge.statuspage.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.Bridge;
import dev.kastor.bridge.GitHttpServer;
import dev.kastor.bridge.Upstream;
import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.bridge.statuspage.StatusPageDefaults;
import dev.kastor.testing.Eventually;
import dev.kastor.testing.Programs;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What the status page says of each agent, from a real KAS with real agents: connected or since when not, its tunnel
 * streams, each pod's registration (agent and Kubernetes versions), the configuration commit it runs, and the file and
 * line KAS refused in the newest commit.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class StatusPageAgentsTest {
    static final String CONFIG_PROJECT = "platform/agents";
    static final String OPERATOR_TOKEN = "operator-token-0123456789abcdef0123456789";
    static final JsonMapper JSON = JsonMapper.builder().build();
    static final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static final Duration WITHIN = Duration.ofSeconds(60);

    @TempDir
    static Path dir;
    static GitHttpServer git;
    static Bridge bridge;
    static Upstream apiServer;
    static StatusPageClient operator;
    static String cookie;
    static long prod;
    static long staging;
    static ProdAndStaging agents;
    static final java.util.concurrent.atomic.AtomicInteger fluxReads = new java.util.concurrent.atomic.AtomicInteger();
    static final java.util.List<FluxApiServer.Patch> patches = new java.util.concurrent.CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        git = GitHttpServer.start(Files.createDirectories(dir.resolve("git")));
        git.createRepo(CONFIG_PROJECT);
        git.commit(CONFIG_PROJECT, ".gitlab/agents/prod/config.yaml", "ci_access:\n  projects:\n    - id: team/app\n");
        git.commit(CONFIG_PROJECT, ".gitlab/agents/staging/config.yaml", "ci_access:\n  projects:\n    - id: team/app\n");
        Path operatorToken = Files.writeString(dir.resolve("status-operator-token"), OPERATOR_TOKEN);
        bridge = Bridge.setup(Files.createDirectories(dir.resolve("kas")))
                .agentConfiguration(new KasConfig.AgentConfiguration(git.urlTemplate(), null, null, "1s", null, null, null))
                .statusPage(new KasConfig.StatusPage(operatorToken.toString(), null))
                .start();
        apiServer = FluxApiServer.start(fluxReads, patches);
        agents = ProdAndStaging.start(bridge, CONFIG_PROJECT, apiServer);
        prod = agents.prod();
        staging = agents.staging();
        operator = StatusPageClient.signIn(bridge.apiUrl(), OPERATOR_TOKEN);
        cookie = operator.cookie();
    }

    @AfterAll
    static void stop() {
        if (agents != null) agents.close();
        Programs.closeAll(bridge, apiServer, git);
    }

    static JsonNode agent(long id) throws Exception {
        return operator.agent(id);
    }

    @Test
    void connectedAgentShowsItsTunnelsRegistrationAndConfigurationCommit() throws Exception {
        JsonNode a = Eventually.value(WITHIN, () -> "prod's registration and configuration on the status page",
                () -> agent(prod), n -> n.path("instances").size() == 1 && n.path("config").has("commit"));

        assertThat(a.path("name").asString()).isEqualTo("prod");
        assertThat(a.path("connected").asBoolean()).isTrue();
        assertThat(a.path("tunnels").path("open").asInt()).isPositive();
        assertThat(Instant.parse(a.path("since").asString())).isBefore(Instant.now().plusSeconds(1));
        JsonNode pod = a.path("instances").get(0);
        assertThat(pod.path("kubernetes_version").asString()).isEqualTo("v1.32.3");
        assertThat(pod.path("agent_version").asString()).isNotBlank();
        assertThat(a.path("config").path("path").asString()).isEqualTo(".gitlab/agents/prod/config.yaml");
        assertThat(a.path("config").path("commit").asString()).hasSize(40);
        assertThat(a.path("config").has("error")).isFalse();
    }

    @Test
    void fluxObjectsAreReadThroughTheTunnelWithTheirReadyStateAndRevision() throws Exception {
        JsonNode a = Eventually.value(WITHIN, () -> "prod's Flux objects", () -> agent(prod), n -> n.path("flux").size() == 4);
        JsonNode flux = a.path("flux");

        assertThat(a.path("cluster").has("problem")).isFalse();
        assertThat(Instant.parse(a.path("cluster").path("read").asString())).isBefore(Instant.now().plusSeconds(1));
        assertThat(flux.valueStream().map(o -> o.path("kind").asString() + " " + o.path("namespace").asString() + "/"
                + o.path("name").asString() + " " + o.path("ready").asString()).toList())
                .containsExactly("OCIRepository flux-system/podinfo True", "GitRepository flux-system/infra True",
                        "Kustomization flux-system/podinfo True", "Kustomization apps/broken False");
        JsonNode broken = flux.get(3);
        assertThat(broken.path("reason").asString()).isEqualTo("BuildFailed");
        assertThat(broken.path("message").asString()).isEqualTo("kustomization path not found: ./deploy");
        assertThat(flux.get(1).path("origin").path("url").asString()).as("the clone URL's credentials left out")
                .isEqualTo("https://gitlab.example.com/team/infra.git");
        assertThat(a.toString()).doesNotContain("glpat-clone-secret");
        assertThat(flux.get(2).path("revision").asString()).isEqualTo("v1@sha256:4d5e");
        assertThat(apiServer.seen.stream().filter(r -> r.path().startsWith("/apis/")).allMatch(r -> r.headers().keySet().stream()
                .noneMatch(h -> h.toLowerCase(java.util.Locale.ROOT).startsWith("impersonate-")))).as("read as the agent itself").isTrue();
    }

    @Test
    void deploymentsAreTheInventoriesKubeApplyKeepsNewestApplyFirst() throws Exception {
        JsonNode a = Eventually.value(WITHIN, () -> "prod's deployments", () -> agent(prod), n -> n.path("deployments").size() == 2);

        assertThat(apiServer.seen).filteredOn(r -> r.path().equals("/api/v1/configmaps")).isNotEmpty()
                .allSatisfy(r -> assertThat(r.query()).as("only inventories, never every ConfigMap").isEqualTo("labelSelector=kastor.dev%2Finventory"));
        JsonNode tools = a.path("deployments").get(0);
        assertThat(tools.path("namespace").asString() + "/" + tools.path("inventory").asString()).isEqualTo("ops/tools");
        assertThat(tools.path("problem").asString()).contains("not the JSON array kastor kube apply writes");
        assertThat(tools.path("objects").valueStream().map(JsonNode::asString).toList()).containsExactly("ConfigMap ops/tools");
        JsonNode web = a.path("deployments").get(1);
        assertThat(web.path("inventory").asString()).isEqualTo("web");
        assertThat(web.has("problem")).isFalse();
        assertThat(web.path("objects").valueStream().map(JsonNode::asString).toList())
                .containsExactly("Deployment shop/web", "Service shop/web", "Namespace shop");
        assertThat(web.path("applies").valueStream().map(e -> e.path("revision").asString() + " " + e.path("user").asString()).toList())
                .as("newest first").containsExactly("main@sha1:" + "b".repeat(40) + " bob", "main@sha1:aaaa alice");
        JsonNode current = web.path("applies").get(0);
        assertThat(current.path("source").asString()).startsWith("oci://registry.example.com/team/app/manifests@sha256:2222");
        assertThat(current.path("time").asString()).isEqualTo("2026-12-07T10:00:00Z");
        JsonNode first = web.path("applies").get(1);
        assertThat(first.has("source")).as("a directory's apply has no source to fetch again").isFalse();
        assertThat(first.path("digest").asString()).startsWith("sha256:1111");
        assertThat(first.path("job_url").asString()).as("shown as written, never linked on the page").isEqualTo("javascript:alert(1)");
        assertThat(current.path("job_url").asString()).isEqualTo("https://gitlab.example.com/team/app/-/jobs/42");
        assertThat(a.has("external_jobs")).as("without KAS's own GitLab token no commit statuses are read").isFalse();
    }

    @Test
    void manyReadersShareOneReadPerAgentWhileItIsFresh() throws Exception {
        Eventually.until(WITHIN, () -> "prod's Flux objects", () -> agent(prod).path("flux").size() == 4);
        int before = fluxReads.get();

        var pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            var reads = new java.util.ArrayList<java.util.concurrent.Future<JsonNode>>();
            for (int i = 0; i < 16; i++) reads.add(pool.submit(() -> agent(prod)));
            for (var r : reads) assertThat(r.get().path("flux").size()).isEqualTo(4);
        } finally {
            pool.shutdownNow();
        }

        assertThat(fluxReads.get() - before).as("Kustomization lists read for 16 page reads within " + ClusterReads.FRESH).isLessThanOrEqualTo(2);
    }

    static HttpResponse<String> reconcile(String csrf, String form) throws Exception {
        var b = HttpRequest.newBuilder(URI.create(bridge.apiUrl() + StatusPageDefaults.RECONCILE_PATH)).header("Cookie", cookie)
                .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(form));
        if (csrf != null) b.header(StatusPageDefaults.CSRF_HEADER, csrf);
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static String csrf() throws Exception {
        var r = client.send(HttpRequest.newBuilder(URI.create(bridge.apiUrl() + StatusPageDefaults.SESSION_PATH)).header("Cookie", cookie).build(),
                HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body()).path("csrf_token").asString();
    }

    @Test
    void reconcileSetsRequestedAtThroughTheTunnelAsTheAgent() throws Exception {
        int before = patches.size();

        var r = reconcile(csrf(), "agent=" + prod + "&kind=Kustomization&namespace=apps&name=broken");

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).contains("reconcile of Kustomization apps/broken requested");
        assertThat(patches.subList(before, patches.size())).singleElement().satisfies(p -> {
            assertThat(p.path()).isEqualTo("/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/apps/kustomizations/broken");
            assertThat(p.contentType()).isEqualTo("application/merge-patch+json");
            assertThat(JSON.readTree(p.body()).path("metadata").path("annotations").path("reconcile.fluxcd.io/requestedAt").asString())
                    .startsWith(String.valueOf(java.time.Year.now().getValue()));
            assertThat(p.impersonated()).isFalse();
        });
    }

    @Test
    void reconcileNeedsTheCsrfTokenAFluxKindAndKubernetesNames() throws Exception {
        int before = patches.size();
        String csrf = csrf();

        assertThat(reconcile(null, "agent=" + prod + "&kind=Kustomization&namespace=apps&name=broken").statusCode()).isEqualTo(403);
        assertThat(reconcile(csrf, "agent=" + prod + "&kind=Secret&namespace=apps&name=broken").statusCode()).isEqualTo(400);
        assertThat(reconcile(csrf, "agent=" + prod + "&kind=Kustomization&namespace=apps&name=..%2F..%2Fsecrets").statusCode()).isEqualTo(400);
        assertThat(reconcile(csrf, "agent=" + prod + "&kind=Kustomization&namespace=Apps&name=broken").statusCode()).isEqualTo(400);
        assertThat(reconcile(csrf, "agent=999&kind=Kustomization&namespace=apps&name=broken").statusCode()).isEqualTo(404);
        assertThat(patches.size()).as("nothing reached the cluster").isEqualTo(before);
    }

    @Test
    void invalidConfigurationShowsTheFileAndLineKasRefused() throws Exception {
        Eventually.until(WITHIN, () -> "prod's configuration loaded", () -> agent(prod).path("config").has("commit"));
        String loaded = agent(prod).path("config").path("commit").asString();

        git.commit(CONFIG_PROJECT, ".gitlab/agents/prod/config.yaml", "ci_access:\n  projects:\n    - id: team/app\naccess_as:\n  root: {}\n");

        JsonNode error = Eventually.value(WITHIN, () -> "the refused file on the status page:\n" + bridge.logText(),
                () -> agent(prod).path("config").path("error"), e -> e.has("message")).deepCopy();
        assertThat(error.path("path").asString()).isEqualTo(".gitlab/agents/prod/config.yaml");
        assertThat(error.path("commit").asString()).hasSize(40).isNotEqualTo(loaded);
        assertThat(error.path("message").asString()).contains("unknown kind 'root'");
        assertThat(error.path("line").asInt()).isEqualTo(5);
        assertThat(agent(prod).path("config").path("commit").asString()).as("the last good commit is kept").isEqualTo(loaded);

        git.commit(CONFIG_PROJECT, ".gitlab/agents/prod/config.yaml", "ci_access:\n  projects:\n    - id: team/app\n    - id: team/other\n");

        Eventually.until(WITHIN, () -> "the error gone once a good file is loaded", () -> !agent(prod).path("config").has("error"));
    }

    @Test
    void killedAgentShowsDisconnectedWithinSeconds() throws Exception {
        Eventually.until(WITHIN, () -> "staging connected", () -> agent(staging).path("connected").asBoolean());
        Instant killed = Instant.now();

        agents.stagingAgent().close();

        JsonNode a = Eventually.value(Duration.ofSeconds(10), () -> "staging shown disconnected",
                () -> agent(staging), n -> !n.path("connected").asBoolean());
        assertThat(a.path("tunnels").path("open").asInt()).isZero();
        assertThat(Instant.parse(a.path("since").asString())).isAfterOrEqualTo(killed.minusSeconds(1));
    }
}
