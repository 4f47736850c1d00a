package dev.kastor.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.agentapp.Agent;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real kubectl with the KUBECONFIG shape GitLab injects -> KAS -> agent -> the Kubernetes API stand-in
 * (fabric8's mock server in CRUD mode: no API server can run here, so RBAC and impersonation are not enforced
 * downstream; what the agent sends is checked in K8sProxyStreamingTest).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class KubectlThroughBridgeTest {
    @TempDir
    static Path dir;
    static Bridge bridge;
    static KubernetesMockServer api;
    static Agent agent;
    static Path kubeconfig;

    @BeforeAll
    static void start() throws Exception {
        api = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new WithDiscovery(new KubernetesCrudDispatcher()), false);
        api.init(InetAddress.getLoopbackAddress(), 0);
        var cert = dev.kastor.testing.SelfSignedCert.create(dir, "kas");
        bridge = new Bridge(dir, cert);
        var connected = bridge.connectAgent("kubectl-job", 11, URI.create("http://127.0.0.1:" + api.getPort()));
        long id = connected.id();
        agent = connected.agent();
        kubeconfig = Kubeconfigs.write(dir.resolve("kubeconfig"), bridge.proxyUrl(), cert, "group/project:prod", id, "kubectl-job");
    }

    @AfterAll
    static void stop() {
        if (bridge != null) System.out.println(bridge.logText());
        if (agent != null) agent.close();
        if (bridge != null) bridge.close();
        if (api != null) api.destroy();
    }

    /** The stand-in stores objects (CRUD) but serves no discovery; these are the documents a real API server gives kubectl. */
    static final class WithDiscovery extends Dispatcher {
        private final Dispatcher crud;

        WithDiscovery(Dispatcher crud) {
            this.crud = crud;
        }

        @Override
        public MockResponse dispatch(RecordedRequest request) {
            String path = request.getPath().replaceAll("\\?.*", "");
            String body = switch (path) {
                case "/api" -> "{\"kind\":\"APIVersions\",\"versions\":[\"v1\"],"
                        + "\"serverAddressByClientCIDRs\":[{\"clientCIDR\":\"0.0.0.0/0\",\"serverAddress\":\"127.0.0.1\"}]}";
                case "/apis" -> "{\"kind\":\"APIGroupList\",\"apiVersion\":\"v1\",\"groups\":[]}";
                case "/api/v1" -> "{\"kind\":\"APIResourceList\",\"groupVersion\":\"v1\",\"resources\":["
                        + "{\"name\":\"configmaps\",\"singularName\":\"configmap\",\"namespaced\":true,\"kind\":\"ConfigMap\","
                        + "\"verbs\":[\"create\",\"delete\",\"get\",\"list\",\"patch\",\"update\",\"watch\"],\"shortNames\":[\"cm\"]}]}";
                default -> null;
            };
            if (body == null) return crud.dispatch(request);
            return new MockResponse().setResponseCode(200).addHeader("Content-Type", "application/json").setBody(body);
        }
    }

    record Run(int exit, String out, String err) {}

    static Run kubectl(String... args) throws IOException, InterruptedException {
        var cmd = new ArrayList<>(List.of("kubectl", "--kubeconfig", kubeconfig.toString()));
        cmd.addAll(List.of(args));
        var pb = new ProcessBuilder(cmd).redirectErrorStream(false);
        pb.environment().put("HOME", dir.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), out, err);
    }

    @Test
    void kubectlCreatesGetsListsAndDeletesThroughTheTunnel() throws Exception {
        Path cm = dir.resolve("cm.yaml");
        Files.writeString(cm, """
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: web-config
                  namespace: default
                data:
                  greeting: hello through the tunnel
                """);

        Run create = kubectl("create", "-f", cm.toString(), "--validate=false");
        assertThat(create.exit()).as(create.err()).isZero();
        assertThat(create.out()).contains("configmap/web-config created");

        Run get = kubectl("get", "configmap", "web-config", "-o", "jsonpath={.data.greeting}");
        assertThat(get.exit()).as(get.err()).isZero();
        assertThat(get.out()).isEqualTo("hello through the tunnel");

        Run list = kubectl("get", "configmaps", "-o", "name");
        assertThat(list.exit()).as(list.err()).isZero();
        assertThat(list.out()).contains("configmap/web-config");

        Run delete = kubectl("delete", "configmap", "web-config");
        assertThat(delete.exit()).as(delete.err()).isZero();
        assertThat(delete.out()).contains("deleted");

        Run after = kubectl("get", "configmap", "web-config");
        assertThat(after.exit()).isNotZero();
        assertThat(after.err()).contains("NotFound");
    }

    @Test
    void kubectlPrintsKasStatusForAnUnknownJobToken() throws Exception {
        Path bad = dir.resolve("bad-kubeconfig");
        Files.writeString(bad, Files.readString(kubeconfig).replace(":kubectl-job", ":expired-job"));
        var p = new ProcessBuilder("kubectl", "--kubeconfig", bad.toString(), "get", "configmaps").start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(60, TimeUnit.SECONDS);

        assertThat(p.exitValue()).isNotZero();
        assertThat(err).containsAnyOf("Unauthorized", "must be logged in");
        assertThat(err).doesNotContain("expired-job");
    }
}
