package dev.kastor.bridge.kasapp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.testing.SelfSignedCert;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** KAS's API port (health, readiness, metrics, job agents) over HTTPS when its listener has a certificate. */
class ApiPortTest {
    static final String KEY = Base64.getEncoder().encodeToString(new byte[32]);

    @TempDir
    Path dir;

    @Test
    void apiPortSpeaksHttpsWithTheListenersCertificate() throws Exception {
        var cert = SelfSignedCert.create(dir, "kas-api");
        Path config = dir.resolve("kas.yaml");
        Files.writeString(config, """
                listen:
                  agent: {address: "127.0.0.1:0"}
                  api: {address: "127.0.0.1:0", certificate_file: %s, key_file: %s}
                  k8s_proxy: {address: "127.0.0.1:0"}
                  private_api: {address: "127.0.0.1:0"}
                gitlab: {url: "http://127.0.0.1:1"}
                api_secret_key: %s
                private_api_secret_key: %s
                """.formatted(cert.certPem(), cert.keyPem(), KEY, KEY));

        try (var kas = Kas.start(KasConfig.load(config), JsonLog.quiet())) {
            var trusting = HttpClient.newBuilder().sslContext(dev.kastor.bridge.Bridge.trusting(cert)).build();
            var healthz = trusting.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + kas.apiPort() + "/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            var metrics = trusting.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + kas.apiPort() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());

            assertThat(healthz.statusCode()).isEqualTo(200);
            assertThat(metrics.body()).contains("kastor_kas_connected_agents");
            // plain HTTP on the TLS port gets no answer a client could mistake for the API
            assertThatThrownBy(() -> HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + kas.apiPort() + "/healthz")).build(), HttpResponse.BodyHandlers.ofString()))
                    .isInstanceOf(java.io.IOException.class);
        }
    }
}
