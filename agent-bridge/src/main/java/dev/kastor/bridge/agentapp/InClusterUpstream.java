package dev.kastor.bridge.agentapp;

import dev.kastor.bridge.kubeapi.agent.KubeApiUpstream;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.internal.SSLUtils;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;

/**
 * Finds the API server the agent forwards to with fabric8's {@link Config} auto-detection: the service account
 * in a pod, the current kubeconfig context outside one. In a pod the token file is re-read every minute,
 * because Kubernetes rotates projected service-account tokens.
 */
public final class InClusterUpstream {
    private static final Path SA_TOKEN = Path.of("/var/run/secrets/kubernetes.io/serviceaccount/token");

    private InClusterUpstream() {}

    public static KubeApiUpstream detect(URI override) throws Exception {
        Config config = Config.autoConfigure(null);
        URI url = override != null ? override : URI.create(config.getMasterUrl());
        SSLContext tls = "https".equals(url.getScheme()) ? SSLUtils.sslContext(config) : null;
        Supplier<String> token;
        if (Files.isReadable(SA_TOKEN)) {
            token = new RotatedTokenFile(SA_TOKEN);
        } else {
            String t = config.getAutoOAuthToken() != null ? config.getAutoOAuthToken() : config.getOauthToken();
            token = () -> t;
        }
        return new KubeApiUpstream(url, tls, token);
    }
}
