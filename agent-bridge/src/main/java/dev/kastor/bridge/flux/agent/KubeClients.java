package dev.kastor.bridge.flux.agent;

import dev.kastor.bridge.kubeapi.agent.KubeApiUpstream;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import java.net.http.HttpClient;

/**
 * A fabric8 client for the API server the agent forwards to, with the same TLS trust and the same (rotated) token, so
 * the flux module and the k8s proxy act as one identity.
 */
final class KubeClients {
    private KubeClients() {}

    static KubernetesClient of(KubeApiUpstream upstream) {
        Config config = new ConfigBuilder(Config.empty()).withMasterUrl(upstream.url().toString())
                .withOauthTokenProvider(() -> upstream.bearerToken().get()).build();
        var transport = new JdkHttpClientFactory() {
            @Override
            protected void additionalConfig(HttpClient.Builder builder) {
                // after fabric8 set its own: the trust the agent already built for this API server wins
                if (upstream.tls() != null) builder.sslContext(upstream.tls());
            }
        };
        return new KubernetesClientBuilder().withConfig(config).withHttpClientFactory(transport).build();
    }
}
