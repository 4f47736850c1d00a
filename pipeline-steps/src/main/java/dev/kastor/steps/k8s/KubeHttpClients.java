package dev.kastor.steps.k8s;

import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import java.net.http.HttpClient;

/**
 * fabric8 over the JDK HttpClient. Over TLS it negotiates HTTP/2 (many watches share one connection); over plain
 * HTTP (a local KAS or API server) it stays on HTTP/1.1: the JDK's cleartext upgrade (h2c) is something few proxies
 * in front of an API server support, and watches go over WebSocket on HTTP/1.1 anyway.
 */
public final class KubeHttpClients extends JdkHttpClientFactory {
    private final boolean plainHttp;

    public KubeHttpClients(String serverUrl) {
        this.plainHttp = serverUrl != null && serverUrl.startsWith("http://");
    }

    @Override
    protected void additionalConfig(HttpClient.Builder builder) {
        if (plainHttp) builder.version(HttpClient.Version.HTTP_1_1);
    }
}
