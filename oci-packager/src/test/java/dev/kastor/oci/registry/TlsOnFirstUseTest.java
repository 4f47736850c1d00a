package dev.kastor.oci.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kastor.testing.RegistryServer;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TlsOnFirstUseTest {
    private RegistryServer server;

    @BeforeAll
    void start() {
        server = RegistryServer.builder().tls().start();
    }

    @AfterAll
    void stop() {
        server.close();
    }

    @Test
    void installsIntoTheOrasClientBuilderOfThisBuild() {
        // Fails when an oras-java upgrade moves the JDK builder: every push would load the trust store again.
        assertThat(TlsOnFirstUse.installInto(land.oras.auth.HttpClient.Builder.builder())).isTrue();
    }

    @Test
    void defaultParametersAreTheJvmDefaults() throws Exception {
        var lazy = new TlsOnFirstUse(() -> {
            throw new AssertionError("the context was set up for its default parameters");
        });
        var jvm = SSLContext.getDefault().getDefaultSSLParameters();

        var params = lazy.getDefaultSSLParameters();

        assertThat(params.getProtocols()).containsExactly(jvm.getProtocols());
        assertThat(params.getCipherSuites()).containsExactly(jvm.getCipherSuites());
    }

    @Test
    void contextIsSetUpAtTheFirstTlsConnectionOnlyAndTrustsWhatItTrusts() throws Exception {
        var setUps = new AtomicInteger();
        Supplier<SSLContext> trustingTheRegistry = () -> {
            setUps.incrementAndGet();
            return trusting(server);
        };
        var client = HttpClient.newBuilder().sslContext(new TlsOnFirstUse(trustingTheRegistry)).build();
        assertThat(setUps).hasValue(0);

        var first = client.send(get(server.url() + "/v2/"), HttpResponse.BodyHandlers.discarding());
        var second = client.send(get(server.url() + "/v2/"), HttpResponse.BodyHandlers.discarding());

        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(setUps).hasValue(1);
    }

    @Test
    void certificateTheContextDoesNotTrustIsRefused() throws Exception {
        SSLContext jvm = SSLContext.getDefault(); // the system trust store, which has never heard of the registry's certificate
        var client = HttpClient.newBuilder().sslContext(new TlsOnFirstUse(() -> jvm)).build();

        assertThatThrownBy(() -> client.send(get(server.url() + "/v2/"), HttpResponse.BodyHandlers.discarding()))
                .isInstanceOf(SSLHandshakeException.class);
    }

    private static HttpRequest get(String url) {
        return HttpRequest.newBuilder(URI.create(url)).build();
    }

    private static SSLContext trusting(RegistryServer server) {
        try (InputStream pem = Files.newInputStream(server.caFile())) {
            var store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            store.setCertificateEntry("registry", CertificateFactory.getInstance("X.509").generateCertificate(pem));
            var trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
            var tls = SSLContext.getInstance("TLS");
            tls.init(null, trust.getTrustManagers(), null);
            return tls;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
