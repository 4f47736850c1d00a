package dev.kastor.bridge.flux.server;

import dev.kastor.bridge.api.ApiEndpoint;
import dev.kastor.bridge.api.ApiRequest;
import dev.kastor.bridge.api.ApiResponse;
import dev.kastor.bridge.api.SecretFile;
import dev.kastor.bridge.flux.rpc.OciPush;
import dev.kastor.bridge.observability.JsonLog;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/**
 * {@code POST /api/v1/flux/registry-events}: a CNCF distribution registry's notifications
 * ({@code application/vnd.docker.distribution.events.v1+json}, {@code {"events":[{"action","target":{…}}]}}), sent
 * with {@code Authorization: Bearer <token>} where the token is one of {@code flux.registries[].notifications_token_file}.
 * That registry's configured host (never what the event says) names the registry. Each {@code push} of a manifest
 * becomes an {@link OciPush} for every agent; blob pushes, pulls and deletes are ignored. Answers 200 once the envelope
 * is read (a registry sends it again otherwise), 401 (nothing is triggered), 400 (not an events envelope).
 */
final class RegistryEventsEndpoint implements ApiEndpoint {
    /** A registry that sends notifications, and the secret it sends them with. */
    record Sender(String host, SecretFile token) {}

    private final List<Sender> senders;
    private final Notifier notifier;
    private final JsonLog log;

    RegistryEventsEndpoint(List<Sender> senders, Notifier notifier, JsonLog log) {
        this.senders = List.copyOf(senders);
        this.notifier = notifier;
        this.log = log;
    }

    @Override
    public ApiResponse handle(ApiRequest request) {
        if (!request.method().equals("POST")) return ApiResponse.message(405, "use POST (registry notifications)");
        var registry = sender(request.header("Authorization"));
        if (registry.isEmpty()) {
            return ApiResponse.message(401, "Authorization is not 'Bearer <token>' with the notifications_token_file of any of the KAS config's flux.registries");
        }
        var envelope = Bodies.object(request.body());
        if (envelope.isEmpty() || !envelope.get().path("events").isArray()) {
            return ApiResponse.message(400, "the body is not a registry notification envelope: a JSON object {\"events\": [...]}");
        }
        int pushes = 0;
        for (JsonNode event : envelope.get().path("events")) {
            var push = manifestPush(registry.get(), event);
            if (push.isEmpty()) continue;
            notifier.ociPush(FluxMetrics.Source.REGISTRY_NOTIFICATION, push.get());
            log.info("registry notification: telling agents", Map.of("registry", registry.get(), "repository", push.get().getRepository(),
                    "digest", push.get().getDigest(), "tag", push.get().getTag()));
            pushes++;
        }
        return ApiResponse.message(200, pushes + " manifest push(es) passed on to agents");
    }

    /** The registry whose token the header carries; every registry's is compared (each in constant time). */
    private Optional<String> sender(String authorization) {
        String found = null;
        for (Sender s : senders) if (s.token().matches(authorization, "Bearer ")) found = s.host();
        return Optional.ofNullable(found);
    }

    /** A {@code push} event of a manifest with a valid repository and digest, else empty. */
    private static Optional<OciPush> manifestPush(String registry, JsonNode event) {
        JsonNode target = event.path("target");
        String repository = Bodies.text(target, "repository");
        String digest = Bodies.text(target, "digest");
        String tag = Bodies.text(target, "tag");
        if (!"push".equals(Bodies.text(event, "action")) || !OciNames.manifest(Bodies.text(target, "mediaType"))
                || !OciNames.repository(repository) || !OciNames.digest(digest)) {
            return Optional.empty();
        }
        return Optional.of(OciPush.newBuilder().setRegistry(registry).setRepository(repository).setDigest(digest)
                .setTag(tag != null && OciNames.tagOrEmpty(tag) ? tag : "").build());
    }
}
