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
        Files.writeString(file, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: gitlab
                  cluster:
                    server: %s
                    certificate-authority-data: %s
                users:
                - name: agent:%d
                  user:
                    token: ci:%d:%s
                contexts:
                - name: %s
                  context:
                    cluster: gitlab
                    user: agent:%d
                    namespace: default
                current-context: %s
                """.formatted(proxyUrl, Base64.getEncoder().encodeToString(Files.readAllBytes(cert.certPem())), agentId, agentId, jobToken,
                context, agentId, context));
        return file;
    }
}
