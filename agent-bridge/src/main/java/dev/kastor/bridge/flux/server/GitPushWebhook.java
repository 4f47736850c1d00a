package dev.kastor.bridge.flux.server;

import dev.kastor.bridge.api.ApiEndpoint;
import dev.kastor.bridge.api.ApiRequest;
import dev.kastor.bridge.api.ApiResponse;
import dev.kastor.bridge.api.SecretFile;
import dev.kastor.bridge.observability.JsonLog;
import java.util.Map;
import java.util.Set;

/**
 * {@code POST /api/v1/flux/git-push}: GitLab's project webhook ({@code X-Gitlab-Event: Push Hook} or
 * {@code Tag Push Hook}) or system hook ({@code System Hook} with {@code event_name} push or tag_push), with
 * {@code X-Gitlab-Token} = the content of {@code flux.webhook_secret_file}. Every agent learns that
 * {@code project.path_with_namespace} moved. Answers 202, 401 (token: nothing is triggered), 400 (another event, or
 * not a push payload).
 */
final class GitPushWebhook implements ApiEndpoint {
    private static final Set<String> PUSH_HOOKS = Set.of("Push Hook", "Tag Push Hook");
    private static final Set<String> SYSTEM_PUSHES = Set.of("push", "tag_push");

    private final SecretFile secret;
    private final Notifier notifier;
    private final JsonLog log;

    GitPushWebhook(SecretFile secret, Notifier notifier, JsonLog log) {
        this.secret = secret;
        this.notifier = notifier;
        this.log = log;
    }

    @Override
    public ApiResponse handle(ApiRequest request) {
        if (!request.method().equals("POST")) return ApiResponse.message(405, "use POST (GitLab push webhook)");
        if (!secret.matches(request.header("X-Gitlab-Token"))) {
            return ApiResponse.message(401, "X-Gitlab-Token does not match flux.webhook_secret_file of the KAS config");
        }
        String event = request.header("X-Gitlab-Event");
        var payload = Bodies.object(request.body());
        if (payload.isEmpty()) return ApiResponse.message(400, "the payload is not a JSON object (GitLab's push event)");
        boolean push = PUSH_HOOKS.contains(event)
                || ("System Hook".equals(event) && SYSTEM_PUSHES.contains(Bodies.text(payload.get(), "event_name")));
        if (!push) {
            return ApiResponse.message(400, "only push events tell agents of pushes (X-Gitlab-Event: Push Hook or Tag Push Hook, or a"
                    + " System Hook of event_name push or tag_push), got " + Bodies.echo(event));
        }
        String project = Bodies.text(payload.get().path("project"), "path_with_namespace");
        if (project == null || project.isBlank()) return ApiResponse.message(400, "the payload has no project.path_with_namespace");
        notifier.gitPush(FluxMetrics.Source.GIT_WEBHOOK, project);
        log.info("push webhook: telling agents", Map.of("project", project));
        return ApiResponse.message(202, "agents learn that " + project + " moved");
    }
}
