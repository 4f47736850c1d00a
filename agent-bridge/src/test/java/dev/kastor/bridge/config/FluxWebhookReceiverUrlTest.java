package dev.kastor.bridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code flux.webhook_receiver_url} in the agent's config.yaml takes what GitLab's agent takes: an http(s) URL, or a
 * Kubernetes service proxy path for an agent outside the cluster network; anything else is refused with the line.
 */
class FluxWebhookReceiverUrlTest {
    static AgentConfig.Flux flux(String url) throws AgentConfig.InvalidConfig {
        return AgentConfig.parse("""
                observability:
                  logging:
                    level: info
                flux:
                  webhook_receiver_url: "%s"
                """.formatted(url)).flux();
    }

    @Test
    void withoutOneTheAgentCallsFluxsWebhookReceiverServiceDirectly() throws Exception {
        var flux = AgentConfig.parse("default_namespace: apps").flux();

        assertThat(flux.webhookReceiverUrl()).isEqualTo("http://webhook-receiver.flux-system.svc.cluster.local");
        assertThat(flux.throughApiServer()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "/api/v1/namespaces/flux-system/services/http:webhook-receiver:80/proxy",
            "/api/v1/namespaces/flux-system/services/webhook-receiver/proxy",
            "/api/v1/namespaces/flux-system/services/https:webhook-receiver:https/proxy/"})
    void aServiceProxyPathGoesThroughTheApiServer(String path) throws Exception {
        var flux = flux(path);

        assertThat(flux.webhookReceiverUrl()).isEqualTo(path);
        assertThat(flux.throughApiServer()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://webhook-receiver.flux-system.svc.cluster.local", "https://flux-hooks.example.com:8443/base"})
    void anHttpUrlIsCalledDirectly(String url) throws Exception {
        assertThat(flux(url).throughApiServer()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "ftp://webhook-receiver",
            "webhook-receiver.flux-system",
            "http://",
            "/api/v1/namespaces/flux-system/pods/notification-controller/proxy",
            "/api/v1/namespaces/Flux_System/services/webhook-receiver/proxy",
            "/api/v1/namespaces/flux-system/services/webhook-receiver/proxy/../../secrets",
            "/hook/elsewhere"})
    void anythingElseIsRefusedNamingBothFormsAndTheLine(String url) {
        assertThatThrownBy(() -> flux(url))
                .isInstanceOfSatisfying(AgentConfig.InvalidConfig.class, e -> assertThat(e.line()).isEqualTo(5))
                .hasMessageContaining("flux.webhook_receiver_url must be an http(s) URL")
                .hasMessageContaining("/api/v1/namespaces/flux-system/services/http:webhook-receiver:80/proxy")
                .hasMessageEndingWith("got " + url);
    }
}
