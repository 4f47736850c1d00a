package dev.kastor.bridge.statuspage.server;

import dev.kastor.bridge.Upstream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The Kubernetes API server the status page's agents forward to: {@code /version}, and Flux's lists as the API server
 * answers them (Flux 2.6: OCIRepository and GitRepository v1, Kustomization v1): one source ready, one Kustomization
 * ready and one failing with its message. There is no HelmRelease CRD, so that list is a 404, as on a cluster without
 * helm-controller. Its ConfigMaps labelled {@code kastor.dev/inventory} are two inventories as {@code kastor kube apply}
 * writes them: {@code shop/web} with two applies (a directory, then an artifact from commit {@code bbbb…} of team/app)
 * and {@code ops/tools}, whose history someone broke by hand. The OCIRepository's artifact came from commit {@code cccc…}
 * of team/secret.
 */
final class FluxApiServer {
    private FluxApiServer() {}

    /** As kube apply writes them: objects one per line, history oldest first (pipeline-steps' Inventory and InventoryHistory). */
    static final String INVENTORIES = """
            {"kind":"ConfigMapList","apiVersion":"v1","items":[
             {"metadata":{"namespace":"shop","name":"kastor-inventory-web","labels":{"kastor.dev/inventory":"web"}},
              "data":{"objects":"apps|v1|Deployment|deployments|true|shop|web\\n|v1|Service|services|true|shop|web\\n|v1|Namespace|namespaces|false||shop\\n",
                      "history":"[{\\"kind\\":\\"documents\\",\\"digest\\":\\"sha256:1111111111111111111111111111111111111111111111111111111111111111\\",\\"revision\\":\\"main@sha1:aaaa\\",\\"time\\":\\"2026-12-07T09:00:00Z\\",\\"jobUrl\\":\\"javascript:alert(1)\\",\\"namespace\\":\\"shop\\",\\"user\\":\\"alice\\"},{\\"kind\\":\\"artifact\\",\\"reference\\":\\"oci://registry.example.com/team/app/manifests@sha256:2222222222222222222222222222222222222222222222222222222222222222\\",\\"digest\\":\\"sha256:2222222222222222222222222222222222222222222222222222222222222222\\",\\"revision\\":\\"main@sha1:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\\",\\"time\\":\\"2026-12-07T10:00:00Z\\",\\"jobUrl\\":\\"https://gitlab.example.com/team/app/-/jobs/42\\",\\"namespace\\":\\"shop\\",\\"user\\":\\"bob\\"}]"}},
             {"metadata":{"namespace":"ops","name":"kastor-inventory-tools","labels":{"kastor.dev/inventory":"tools"}},
              "data":{"objects":"|v1|ConfigMap|configmaps|true|ops|tools\\n","history":"{not json"}}]}""";

    /** A PATCH the API server got: its path, Content-Type, body and whether it carried Impersonate-* headers. */
    record Patch(String path, String contentType, String body, boolean impersonated) {}

    /** {@code kustomizationReads} counts the Kustomization lists read; {@code patches} gets every PATCH of a Kustomization. */
    static Upstream start(AtomicInteger kustomizationReads, java.util.List<Patch> patches) throws IOException {
        return new Upstream().handle("/version", ex -> Upstream.send(ex, 200, "application/json", """
                {"major":"1","minor":"32","gitVersion":"v1.32.3","platform":"linux/amd64"}""".getBytes(StandardCharsets.UTF_8)))
                // Flux's lists as the API server answers them (Flux 2.6: OCIRepository and GitRepository v1, Kustomization v1);
                // no HelmRelease CRD here, so that list is a 404, as on a cluster without helm-controller
                .handle("/apis/source.toolkit.fluxcd.io/v1/ocirepositories", ex -> Upstream.send(ex, 200, "application/json", """
                        {"apiVersion":"source.toolkit.fluxcd.io/v1","kind":"OCIRepositoryList","items":[{"metadata":{"namespace":"flux-system","name":"podinfo"},
                         "status":{"artifact":{"revision":"v1@sha256:4d5e","metadata":{
                         "org.opencontainers.image.source":"https://gitlab.example.com/team/secret","org.opencontainers.image.revision":"main@sha1:cccccccccccccccccccccccccccccccccccccccc"}},"conditions":[{"type":"Ready","status":"True","reason":"Succeeded",
                         "message":"stored artifact for digest 'v1@sha256:4d5e'","lastTransitionTime":"2026-12-07T10:00:00Z"}]}}]}"""
                        .getBytes(StandardCharsets.UTF_8)))
                .handle("/apis/source.toolkit.fluxcd.io/v1/gitrepositories", ex -> Upstream.send(ex, 200, "application/json",
                        // a clone URL with a token in it, as some write them: the page must never show the token
                        """
                        {"kind":"GitRepositoryList","items":[{"metadata":{"namespace":"flux-system","name":"infra"},
                         "spec":{"url":"https://oauth2:glpat-clone-secret@gitlab.example.com/team/infra.git"},
                         "status":{"artifact":{"revision":"main@sha1:dddddddddddddddddddddddddddddddddddddddd"},
                          "conditions":[{"type":"Ready","status":"True","reason":"Succeeded","message":"stored artifact"}]}}]}"""
                        .getBytes(StandardCharsets.UTF_8)))
                .handle("/apis/kustomize.toolkit.fluxcd.io/v1/kustomizations", ex -> {
                    kustomizationReads.incrementAndGet();
                    Upstream.send(ex, 200, "application/json", """
                        {"kind":"KustomizationList","items":[
                         {"metadata":{"namespace":"flux-system","name":"podinfo"},"status":{"lastAppliedRevision":"v1@sha256:4d5e",
                          "conditions":[{"type":"Ready","status":"True","reason":"ReconciliationSucceeded","message":"Applied revision: v1@sha256:4d5e"}]}},
                         {"metadata":{"namespace":"apps","name":"broken"},"status":{
                          "conditions":[{"type":"Ready","status":"False","reason":"BuildFailed","message":"kustomization path not found: ./deploy"}]}}]}"""
                        .getBytes(StandardCharsets.UTF_8));
                })
                .handle("/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/", ex -> {
                    patches.add(new Patch(ex.getRequestURI().getPath(), ex.getRequestHeaders().getFirst("Content-Type"),
                            new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8),
                            ex.getRequestHeaders().keySet().stream().anyMatch(h -> h.toLowerCase(java.util.Locale.ROOT).startsWith("impersonate-"))));
                    Upstream.send(ex, ex.getRequestMethod().equals("PATCH") ? 200 : 405, "application/json",
                            "{\"kind\":\"Kustomization\"}".getBytes(StandardCharsets.UTF_8));
                })
                .handle("/api/v1/configmaps", ex -> Upstream.send(ex, 200, "application/json", INVENTORIES.getBytes(StandardCharsets.UTF_8)))
                .handle("/apis/helm.toolkit.fluxcd.io/v2/helmreleases", ex -> Upstream.send(ex, 404, "application/json",
                        "{\"kind\":\"Status\",\"code\":404}".getBytes(StandardCharsets.UTF_8)));
    }
}
