package dev.kastor.bridge.config.server;

import dev.kastor.bridge.api.ApiEndpoint;
import dev.kastor.bridge.api.ApiRequest;
import dev.kastor.bridge.api.ApiResponse;
import dev.kastor.bridge.api.SecretFile;
import dev.kastor.bridge.observability.JsonLog;
import java.nio.file.Path;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code POST /api/v1/config/webhook}: a GitLab push webhook of a config project ({@code X-Gitlab-Event: Push Hook},
 * {@code X-Gitlab-Token} = the content of {@code agent_configuration.webhook_secret_file}) makes KAS read that
 * project's agent config files at once instead of at the next poll. Answers 202 (refresh started), 401 (token),
 * 404 (no agent has that config project), 400 (not a push payload).
 */
final class ConfigWebhook implements ApiEndpoint {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final SecretFile secret;
    private final AgentConfigurations configs;
    private final JsonLog log;

    ConfigWebhook(Path secretFile, AgentConfigurations configs, JsonLog log) {
        this.secret = new SecretFile(secretFile, "agent_configuration.webhook_secret_file", log);
        this.configs = configs;
        this.log = log;
    }

    @Override
    public ApiResponse handle(ApiRequest request) {
        if (!request.method().equals("POST")) return ApiResponse.message(405, "use POST (GitLab push webhook)");
        if (!secret.matches(request.header("X-Gitlab-Token"))) {
            return ApiResponse.message(401, "X-Gitlab-Token does not match agent_configuration.webhook_secret_file");
        }
        String event = request.header("X-Gitlab-Event");
        if (!"Push Hook".equals(event)) {
            return ApiResponse.message(400, "only push events refresh agent configuration (X-Gitlab-Event: Push Hook), got " + event);
        }
        // the API port bounds the body (ApiLimits.maxBody, 413 beyond)
        JsonNode payload;
        try {
            payload = JSON.readTree(request.body());
        } catch (RuntimeException e) {
            return ApiResponse.message(400, "payload is not JSON");
        }
        String project = payload.path("project").path("path_with_namespace").asString("");
        if (project.isEmpty()) return ApiResponse.message(400, "payload has no project.path_with_namespace");
        if (!configs.knowsProject(project)) {
            return ApiResponse.message(404, "no agent registered on this KAS has config project " + project);
        }
        configs.refreshProject(project);
        log.info("push webhook: refreshing agent configuration", Map.of("project", project));
        return ApiResponse.message(202, "refreshing agent configuration of " + project);
    }
}
