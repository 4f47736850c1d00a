package dev.kastor.steps;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kubernetes API stand-in itself, spoken to with real HTTP clients (the JDK HttpClient, kubectl) over verified
 * TLS: its certificate is all a client needs to trust it.
 */
class KubeStandInTest {
    private static KubeStandIn kube;
    private static HttpClient http;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        kube = KubeStandIn.start();
        http = HttpClient.newBuilder().sslContext(kube.sslContext()).build();
    }

    @AfterAll
    static void stop() {
        if (http != null) http.close();
        if (kube != null) kube.close();
    }

    @Test
    void aClientGivenTheCertificateVerifiesTheStandInAndOneWithoutItRefusesIt() throws Exception {
        kube.client().configMaps().inNamespace("w6").resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
                .withNewMetadata().withName("app").endMetadata().addToData("k", "trusted").build()).create();
        var get = HttpRequest.newBuilder(URI.create(kube.url() + "/api/v1/namespaces/w6/configmaps/app")).build();
        assertThat(Artifacts.json(http.send(get, HttpResponse.BodyHandlers.ofString()).body()).at("/data/k").asString()).isEqualTo("trusted");
        try (var untrusting = HttpClient.newHttpClient()) {
            assertThatThrownBy(() -> untrusting.send(get, HttpResponse.BodyHandlers.ofString())).isInstanceOf(SSLHandshakeException.class);
        }
        assertThat(kube.certificatePem()).startsWith("-----BEGIN CERTIFICATE-----");

        // kubectl (Go's TLS stack) with the certificate as certificate-authority-data: verified, not skipped.
        Path kubeconfig = kube.writeDirectKubeconfig(tmp.resolve("agent-kubeconfig"), "agent-sa-token");
        var pb = new ProcessBuilder("kubectl", "--kubeconfig", kubeconfig.toString(), "get", "--raw", "/api/v1/namespaces/w6/configmaps/app");
        pb.environment().put("HOME", tmp.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(err).isZero();
        assertThat(Artifacts.json(out).at("/data/k").asString()).isEqualTo("trusted");
    }
}
