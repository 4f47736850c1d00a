package dev.kastor.bridge;

import dev.kastor.testing.SelfSignedCert;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

/** The KUBECONFIG GitLab injects into a job (cluster {@code gitlab}, user {@code agent:<id>}, context {@code <project>:<agent>}), for kubectl tests. */
public final class Kubeconfigs {
    private Kubeconfigs() {}

    public static Path write(Path file, String proxyUrl, SelfSignedCert cert, String context, long agentId, String jobToken) throws IOException {
        return write(file, proxyUrl, cert, context, "agent:" + agentId, "ci:" + agentId + ":" + jobToken);
    }

    /** With any user and token: a person's is {@code pat:<agent id>:<personal access token>} (GitLab's user access). */
    public static Path write(Path file, String proxyUrl, SelfSignedCert cert, String context, String user, String token) throws IOException {
        Files.writeString(file, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: gitlab
                  cluster:
                    server: %s
                    certificate-authority-data: %s
                users:
                - name: %s
                  user:
                    token: %s
                contexts:
                - name: %s
                  context:
                    cluster: gitlab
                    user: %s
                    namespace: default
                current-context: %s
                """.formatted(proxyUrl, Base64.getEncoder().encodeToString(Files.readAllBytes(cert.certPem())), user, token, context, user, context));
        return file;
    }
}
