package dev.kastor.bridge.config.server;

import com.sun.net.httpserver.HttpExchange;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.bridge.server.ApiJson;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code POST /api/v1/config/webhook}: a GitLab push webhook of a config project ({@code X-Gitlab-Event: Push Hook},
 * {@code X-Gitlab-Token} = the content of {@code agent_configuration.webhook_secret_file}) makes KAS read that
 * project's agent config files at once instead of at the next poll. Answers 202 (refresh started), 401 (token),
 * 404 (no agent has that config project), 400 (not a push payload).
 */
final class ConfigWebhook {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int MAX_BODY = 1024 * 1024;

    private final Path secretFile;
    private final AgentConfigurations configs;
    private final JsonLog log;

    ConfigWebhook(Path secretFile, AgentConfigurations configs, JsonLog log) {
        this.secretFile = secretFile;
        this.configs = configs;
        this.log = log;
    }

    void handle(HttpExchange ex) throws IOException {
        try (ex) {
            if (!ex.getRequestMethod().equals("POST")) {
                send(ex, 405, "use POST (GitLab push webhook)");
                return;
            }
            if (!tokenMatches(ex.getRequestHeaders().getFirst("X-Gitlab-Token"))) {
                send(ex, 401, "X-Gitlab-Token does not match agent_configuration.webhook_secret_file");
                return;
            }
            String event = ex.getRequestHeaders().getFirst("X-Gitlab-Event");
            if (!"Push Hook".equals(event)) {
                send(ex, 400, "only push events refresh agent configuration (X-Gitlab-Event: Push Hook), got " + event);
                return;
            }
            JsonNode payload;
            try (InputStream in = ex.getRequestBody()) {
                byte[] body = in.readNBytes(MAX_BODY + 1);
                if (body.length > MAX_BODY) {
                    send(ex, 400, "payload above 1 MiB");
                    return;
                }
                payload = JSON.readTree(body);
            } catch (RuntimeException e) {
                send(ex, 400, "payload is not JSON");
                return;
            }
            String project = payload.path("project").path("path_with_namespace").asString("");
            if (project.isEmpty()) {
                send(ex, 400, "payload has no project.path_with_namespace");
                return;
            }
            if (!configs.knowsProject(project)) {
                send(ex, 404, "no agent registered on this KAS has config project " + project);
                return;
            }
            configs.refreshProject(project);
            log.info("push webhook: refreshing agent configuration", Map.of("project", project));
            send(ex, 202, "refreshing agent configuration of " + project);
        }
    }

    /** Constant time: both sides are hashed first, so neither content nor length leaks through timing. */
    private boolean tokenMatches(String presented) {
        if (presented == null) return false;
        String secret;
        try {
            secret = Files.readString(secretFile).strip();
        } catch (IOException e) {
            log.warn("cannot read agent_configuration.webhook_secret_file", Map.of("file", secretFile.toString(), "error", e.getMessage()));
            return false;
        }
        try {
            var sha = MessageDigest.getInstance("SHA-256");
            byte[] a = sha.digest(presented.getBytes(StandardCharsets.UTF_8));
            byte[] b = sha.digest(secret.getBytes(StandardCharsets.UTF_8));
            return !secret.isEmpty() && MessageDigest.isEqual(a, b);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void send(HttpExchange ex, int status, String message) throws IOException {
        ApiJson.send(ex, status, Map.of("message", message));
    }
}
