package dev.kastor.bridge.flux.server;

import dev.kastor.bridge.agents.AgentStore;
import dev.kastor.bridge.api.ApiEndpoint;
import dev.kastor.bridge.api.ApiRequest;
import dev.kastor.bridge.api.ApiResponse;
import dev.kastor.bridge.flux.rpc.OciPush;
import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.bridge.kubeapi.server.JobAuthorizer;
import dev.kastor.bridge.kubeapi.server.JobTokenRequests;
import dev.kastor.bridge.observability.JsonLog;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * {@code POST /api/v1/flux/oci-push} ({@code kastor artifact push --notify}): header {@code JOB-TOKEN}, body
 * {@code {"url":"oci://<host>/<repository>","digest":"sha256:…","tag":"…"}}. Only the agents the job may use (as for
 * the k8s proxy and {@code /api/v1/job/agents}) and that are registered here learn of the push. Answers 202
 * {@code {"agents": n}}, 401 (job token), 400 (body, saying which field), 422 (a registry the config does not list).
 */
final class OciPushEndpoint implements ApiEndpoint {
    static final String BODY = "{\"url\":\"oci://<registry host>/<repository>\",\"digest\":\"sha256:<64 hex>\",\"tag\":\"<tag, or empty>\"}";

    private final JobAuthorizer authorizer;
    private final AgentStore agents;
    private final KasConfig.Flux flux;
    private final Notifier notifier;
    private final JsonLog log;

    OciPushEndpoint(JobAuthorizer authorizer, AgentStore agents, KasConfig.Flux flux, Notifier notifier, JsonLog log) {
        this.authorizer = authorizer;
        this.agents = agents;
        this.flux = flux;
        this.notifier = notifier;
        this.log = log;
    }

    /** A request the caller must fix: its status and what to say. */
    private static final class Refused extends Exception {
        final int status;

        Refused(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }

    @Override
    public ApiResponse handle(ApiRequest request) throws InterruptedException {
        if (!request.method().equals("POST")) return ApiResponse.message(405, "use POST");
        List<JobAuthorizer.AllowedAgent> allowed;
        try {
            allowed = JobTokenRequests.allowedAgents(authorizer, request);
        } catch (JobTokenRequests.Refused r) {
            return r.response();
        }
        OciPush push;
        try {
            push = push(request.body());
        } catch (Refused r) {
            return ApiResponse.message(r.status, r.getMessage());
        }
        List<Long> ids = allowed.stream().map(JobAuthorizer.AllowedAgent::id).distinct()
                .filter(id -> agents.byId(id).filter(AgentStore.Agent::active).isPresent()).toList();
        if (!ids.isEmpty()) notifier.ociPush(FluxMetrics.Source.OCI_PUSH, push, ids);
        log.info("oci-push: telling the job's agents", Map.of("registry", push.getRegistry(), "repository", push.getRepository(),
                "digest", push.getDigest(), "agents", ids.size()));
        return ApiResponse.json(202, Map.of("agents", ids.size()));
    }

    private OciPush push(byte[] body) throws Refused {
        JsonNode json = Bodies.object(body).orElseThrow(() -> new Refused(400, "the body is not a JSON object: send " + BODY));
        String url = Bodies.text(json, "url");
        if (url == null || !url.startsWith("oci://") || url.indexOf('/', 6) < 0) {
            throw new Refused(400, "url must be oci://<registry host>/<repository> (the artifact's reference without tag), got " + Bodies.echo(url));
        }
        String host = url.substring(6, url.indexOf('/', 6));
        String repository = url.substring(url.indexOf('/', 6) + 1);
        if (!OciNames.repository(repository)) {
            throw new Refused(400, "url names no valid repository after the host (lower-case path like group/app-manifests, no tag), got "
                    + Bodies.echo(url));
        }
        String digest = Bodies.text(json, "digest");
        if (!OciNames.digest(digest)) {
            throw new Refused(400, "digest must be sha256: and 64 lower-case hex digits (the manifest digest the push printed), got " + Bodies.echo(digest));
        }
        String tag = json.has("tag") ? Bodies.text(json, "tag") : "";
        if (!OciNames.tagOrEmpty(tag)) {
            throw new Refused(400, "tag must be an OCI tag (letters, digits, _ . -, at most 128) or empty when pushed by digest, got " + Bodies.echo(tag));
        }
        var registry = flux.registry(host).orElseThrow(() -> new Refused(422, "registry " + Bodies.echo(host)
                + " is not one of this KAS's flux registries: add it to the KAS config's flux.registries so agents keep Receivers for its OCIRepository objects"));
        return OciPush.newBuilder().setRegistry(registry.host()).setRepository(repository).setDigest(digest).setTag(tag).build();
    }
}
