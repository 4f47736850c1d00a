package dev.kastor.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.agentapp.Agent;
import dev.kastor.bridge.agents.AgentStore;
import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.bridge.kubeapi.agent.KubeApiUpstream;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.bridge.receptive.agent.ListenSettings;
import dev.kastor.bridge.registration.agent.RegistrationSettings;
import dev.kastor.bridge.tunnel.agent.PoolSettings;
import dev.kastor.testing.Eventually;
import dev.kastor.testing.Programs;
import dev.kastor.testing.SelfSignedCert;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Receptive agents end to end, over real sockets: KAS dials agents listed in {@code receptive_agents} (mTLS, KAS's
 * client certificate) and real kubectl with a CI job's KUBECONFIG reaches them through KAS as it reaches agents that
 * dial out: get, and exec (a WebSocket upgrade, then two raw byte streams). The agents have no KAS address at all;
 * one that also dials out is served both ways.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ReceptiveAgentsThroughKasTest {
    private static final String JOB = "receptive-job";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    static Path dir;
    static PodApiUpstream pods;
    static PodApiUpstream podsViaDialOut;
    static SelfSignedCert kasCert;
    static SelfSignedCert agentCert;
    static SelfSignedCert kasClient;
    static Bridge bridge;
    /** Receptive only; receptive and restarted; receptive and dialling out: ids, tokens and listen ports. */
    static AgentStore.Registered only;
    static AgentStore.Registered restarted;
    static AgentStore.Registered both;
    /** Listed, but what answers at its URL carries the token of {@link #impostor}, which is registered and not listed. */
    static AgentStore.Registered mislabelled;
    static AgentStore.Registered impostor;
    static int mislabelledPort = Programs.freePort();
    static int onlyPort = Programs.freePort();
    static int restartedPort = Programs.freePort();
    static int bothPort = Programs.freePort();
    static Agent onlyAgent;

    @BeforeAll
    static void start() throws Exception {
        pods = new PodApiUpstream();
        podsViaDialOut = new PodApiUpstream();
        kasCert = SelfSignedCert.create(dir, "kas");
        agentCert = SelfSignedCert.create(dir, "agent");
        kasClient = SelfSignedCert.create(dir, "kas-client");
        // Agents are registered before KAS starts: receptive_agents names them by id.
        var store = new AgentStore(dir.resolve("agents.json"));
        only = store.register("group/project", "receptive");
        restarted = store.register("group/project", "restarted");
        both = store.register("group/project", "both-ways");
        mislabelled = store.register("group/project", "mislabelled");
        impostor = store.register("group/project", "impostor");
        var receptive = new KasConfig.ReceptiveAgents(kasClient.certPem().toString(), kasClient.keyPem().toString(),
                List.of(listed(only, onlyPort), listed(restarted, restartedPort), listed(both, bothPort), listed(mislabelled, mislabelledPort)));
        bridge = Bridge.withReceptiveAgents(dir, kasCert, receptive);
        bridge.job(JOB, 41, 77, "group/app", only.agent().id(), restarted.agent().id(), both.agent().id());
        onlyAgent = receptiveAgent(only, onlyPort, pods);
    }

    private static KasConfig.ReceptiveAgent listed(AgentStore.Registered agent, int port) {
        return new KasConfig.ReceptiveAgent(agent.agent().id(), "grpcs://127.0.0.1:" + port, agentCert.certPem().toString());
    }

    @AfterAll
    static void stop() {
        if (bridge != null) System.out.println(bridge.logText());
        Programs.closeAll(onlyAgent, bridge, pods, podsViaDialOut);
    }

    /** An agent without a KAS address, waiting for KAS on {@code port}, in front of {@code upstream}. */
    static Agent receptiveAgent(AgentStore.Registered agent, int port, PodApiUpstream upstream) throws Exception {
        return receptiveAgent(agent.token(), port, upstream);
    }

    static Agent receptiveAgent(String token, int port, PodApiUpstream upstream) throws Exception {
        var listen = new ListenSettings(new InetSocketAddress("127.0.0.1", port), agentCert.certPem().toFile(), agentCert.keyPem().toFile(),
                kasClient.certPem().toFile());
        return Agent.receptive(listen, () -> token, new KubeApiUpstream(upstream.url(), null, () -> "agent-sa-token"),
                PoolSettings.defaults().withBackoff(Duration.ofMillis(200), Duration.ofSeconds(2)), "test", RegistrationSettings.defaults(),
                JsonLog.quiet());
    }

    record Run(int exit, String out, String err) {}

    static Run kubectl(AgentStore.Registered agent, String... args) throws Exception {
        Path kubeconfig = Kubeconfigs.write(dir.resolve("kubeconfig-" + agent.agent().id()), bridge.proxyUrl(), kasCert,
                "group/project:" + agent.agent().name(), agent.agent().id(), JOB);
        var cmd = new java.util.ArrayList<>(List.of("kubectl", "--kubeconfig", kubeconfig.toString(), "--request-timeout=60s"));
        cmd.addAll(List.of(args));
        var pb = new ProcessBuilder(cmd);
        pb.environment().put("HOME", dir.toString());
        Process p = pb.start();
        var err = java.util.concurrent.CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        String out = read(p.getInputStream());
        assertThat(p.waitFor(90, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), out, err.get());
    }

    private static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** kubectl exec, retried until it succeeds: right after an agent went away, KAS may still be dropping its streams. */
    static String execUntilItSucceeds(AgentStore.Registered agent, String word) throws Exception {
        return Eventually.value(Duration.ofSeconds(60), () -> "kubectl exec through agent " + agent.agent().id(),
                () -> kubectl(agent, "exec", "web", "-c", "app", "--", "echo", word), r -> r.exit() == 0).out();
    }

    static String get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + bridge.kas.apiPort() + path)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    static HttpResponse<String> readyz() throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + bridge.kas.apiPort() + "/readyz")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static String connectedMetric(AgentStore.Registered agent) {
        return "kastor_receptive_agent_connected{agent_id=\"" + agent.agent().id() + "\"} ";
    }

    @Test
    void kubectlGetReachesAnAgentThatKasDialled() throws Exception {
        bridge.awaitConnected(only.agent().id());

        Run get = kubectl(only, "get", "pod", "web", "-o", "name");

        assertThat(get.exit()).as(get.err()).isZero();
        assertThat(get.out().trim()).isEqualTo("pod/web");
    }

    @Test
    void kubectlExecStreamsThroughAnAgentThatKasDialled() throws Exception {
        bridge.awaitConnected(only.agent().id());

        Run exec = kubectl(only, "exec", "web", "-c", "app", "--", "echo", "hello", "receptive");

        assertThat(exec.exit()).as(exec.err()).isZero();
        assertThat(exec.out()).isEqualTo("hello receptive\n");
        assertThat(pods.execs).contains(List.of("echo", "hello", "receptive"));
    }

    @Test
    void kasRedialsAnAgentThatWentAwayAndReportsItUnreachableMeanwhile() throws Exception {
        long id = restarted.agent().id();
        try (Agent first = receptiveAgent(restarted, restartedPort, pods)) {
            bridge.awaitConnected(id);
            Eventually.until(Duration.ofSeconds(30), () -> "agent " + id + " connected in /metrics", () -> get("/metrics").contains(connectedMetric(restarted) + "1"));
        }

        Eventually.until(Duration.ofSeconds(30), () -> "agent " + id + " unreachable in /metrics", () -> get("/metrics").contains(connectedMetric(restarted) + "0"));
        var ready = readyz();
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).startsWith("ok\n").contains("receptive: ").contains("agent " + id + " at grpcs://127.0.0.1:" + restartedPort + " unreachable since ");
        Eventually.until(Duration.ofSeconds(30), () -> "a failed dial of agent " + id + " counted",
                () -> !get("/metrics").contains("kastor_receptive_agent_dial_failures_total{agent_id=\"" + id + "\"} 0"));

        try (Agent second = receptiveAgent(restarted, restartedPort, pods)) {
            bridge.awaitConnected(id);
            assertThat(execUntilItSucceeds(restarted, "back")).isEqualTo("back\n");
            assertThat(readyz().body()).doesNotContain("agent " + id + " at");
        }
    }

    @Test
    void anAgentAtTheUrlOfAnotherAgentIsRefusedEveryCall() throws Exception {
        try (Agent wrong = receptiveAgent(impostor, mislabelledPort, pods)) {
            Eventually.until(Duration.ofSeconds(30), () -> "the other agent's token refused, in KAS's log:\n" + bridge.logText(),
                    () -> bridge.logText().contains("receptive agent answered with another agent's token"));

            assertThat(bridge.kas.tunnels().connected(impostor.agent().id())).isFalse();
            assertThat(bridge.kas.tunnels().connected(mislabelled.agent().id())).isFalse();
            assertThat(get("/metrics")).contains(connectedMetric(mislabelled) + "1");
        }
    }

    @Test
    void anAgentThatDialsOutAndIsReceptiveIsServedThroughEither() throws Exception {
        long id = both.agent().id();
        var viaKasDial = receptiveAgent(both, bothPort, pods);
        var viaAgentDial = bridge.startAgent(bridge.grpcUrl(), null, both.token(), podsViaDialOut.url(), RegistrationSettings.defaults());
        try {
            Eventually.until(Duration.ofSeconds(30), () -> "agent " + id + " connected both ways",
                    () -> get("/metrics").contains(connectedMetric(both) + "1") && bridge.kas.tunnels().connected(id));

            viaAgentDial.close();
            assertThat(execUntilItSucceeds(both, "dialled-by-kas")).isEqualTo("dialled-by-kas\n");
            assertThat(pods.execs).contains(List.of("echo", "dialled-by-kas"));

            viaAgentDial = bridge.startAgent(bridge.grpcUrl(), null, both.token(), podsViaDialOut.url(), RegistrationSettings.defaults());
            viaKasDial.close();
            Eventually.until(Duration.ofSeconds(30), () -> "agent " + id + " only dialling out", () -> get("/metrics").contains(connectedMetric(both) + "0"));
            assertThat(execUntilItSucceeds(both, "dialled-by-agent")).isEqualTo("dialled-by-agent\n");
            assertThat(podsViaDialOut.execs).contains(List.of("echo", "dialled-by-agent"));
        } finally {
            Programs.closeAll(viaKasDial, viaAgentDial);
        }
    }
}
