package dev.kastor.citemplates;

import dev.kastor.bridge.Bridge;
import dev.kastor.bridge.agentapp.Agent;
import dev.kastor.testing.kube.FluxControllersStandIn;
import dev.kastor.testing.kube.KubeStandIn;
import dev.kastor.testing.GitLabApiStandIn;
import dev.kastor.testing.Programs;
import dev.kastor.testing.RegistryServer;
import dev.kastor.testing.SelfSignedCert;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Everything a delivering pipeline talks to, on loopback: a registry with basic auth (plain HTTP, as a local one is),
 * Kastor's KAS with a connected agent in front of the Kubernetes API stand-in (Flux CRDs installed, the Flux
 * controllers played by {@link FluxControllersStandIn}), and the GitLab API stand-in that authorises the job for
 * the agent and records the commit statuses. {@link #ciVariables} are the project's CI/CD variables a user would set.
 */
final class Delivery implements AutoCloseable {
    static final String REGISTRY_USER = "gitlab-ci-token";
    static final String REGISTRY_PASSWORD = "registry-s3cret-4711";
    static final String JOB_TOKEN = "job-token-s3cret-0815";
    static final String API_TOKEN = "glpat-api-s3cret-2342";
    static final String PROJECT_PATH = "group/app";
    static final long PROJECT_ID = 4242;
    static final long JOB_ID = 777;
    static final String AGENT_CONTEXT = "group/agents:production";

    final RegistryServer registry;
    final KubeStandIn kube;
    final FluxControllersStandIn flux;
    final Bridge kas;
    final Agent agent;
    final long agentId;
    final SelfSignedCert kasCert;

    Delivery(Path dir) throws Exception {
        registry = RegistryServer.builder().basicAuth(REGISTRY_USER, REGISTRY_PASSWORD).start();
        kube = KubeStandIn.start();
        // source-controller's view of a tag: what the registry answers for it now
        flux = FluxControllersStandIn.start(kube, (url, tag) -> digestOf(url.substring(("oci://" + registry.host() + "/").length()), tag));
        kasCert = SelfSignedCert.create(java.nio.file.Files.createDirectories(dir), "kas");
        kas = new Bridge(dir, kasCert);
        var reg = kas.register("group/agents", "production");
        agentId = reg.agent().id();
        kas.gitlab.addJob(new GitLabApiStandIn.Job(JOB_TOKEN, JOB_ID, PROJECT_ID, PROJECT_PATH, 9000, List.of(10L), 42, "alice",
                "production", "production", List.of(new GitLabApiStandIn.AllowedAgent(agentId, 100, "apps", Map.of("ci_job", Map.of())))));
        kas.gitlab.addApiToken(API_TOKEN, String.valueOf(PROJECT_ID));
        agent = kas.startAgent(reg.token(), java.net.URI.create(kube.url()), kube.sslContext(), () -> "agent-sa-token",
                dev.kastor.bridge.tunnel.agent.PoolSettings.defaults());
        kas.awaitConnected(agentId);
    }

    /** The CI/CD variables of the project: GitLab's own (registry, job token, API) and the few Kastor needs. */
    Map<String, String> ciVariables() {
        return Map.ofEntries(
                Map.entry("CI_REGISTRY", registry.host()),
                Map.entry("CI_REGISTRY_IMAGE", registry.host() + "/" + PROJECT_PATH),
                Map.entry("CI_REGISTRY_USER", REGISTRY_USER),
                Map.entry("CI_REGISTRY_PASSWORD", REGISTRY_PASSWORD),
                Map.entry("CI_JOB_TOKEN", JOB_TOKEN),
                Map.entry("CI_API_V4_URL", kas.gitlab.apiV4Url()),
                Map.entry("CI_PROJECT_ID", String.valueOf(PROJECT_ID)),
                Map.entry("KASTOR_INSECURE_REGISTRY", "true"),                    // the local registry speaks plain HTTP
                Map.entry("KASTOR_KAS_API_URL", kas.apiUrl().toString()),        // Kastor's own KAS, not GitLab's
                Map.entry("KASTOR_CERTIFICATE_AUTHORITY", kasCert.certPem().toString()),
                Map.entry("KASTOR_GITLAB_TOKEN", API_TOKEN));
    }

    /** The Flux objects a user installs once (templates/flux): an OCIRepository on the manifests' tag and its Kustomization. */
    void installFluxObjects(String name, String repository, String tag) {
        create(KubeStandIn.OCI_REPOSITORY, name, Map.of("interval", "5m", "url", "oci://" + registry.host() + "/" + repository,
                "ref", Map.of("tag", tag)));
        create(KubeStandIn.KUSTOMIZATION, name, Map.of("interval", "10m", "path", "./", "prune", true,
                "sourceRef", Map.of("kind", "OCIRepository", "name", name)));
    }

    private void create(ResourceDefinitionContext rdc, String name, Map<String, Object> spec) {
        var o = new GenericKubernetesResourceBuilder().withApiVersion(rdc.getGroup() + "/" + rdc.getVersion()).withKind(rdc.getKind())
                .withNewMetadata().withName(name).withNamespace("flux-system").endMetadata().addToAdditionalProperties("spec", spec).build();
        kube.client().genericKubernetesResources(rdc).inNamespace("flux-system").resource(o).create();
    }

    /** The manifest digest a tag points at, as the registry answers it (HEAD, Docker-Content-Digest); null when there is no such tag. */
    String digestOf(String repository, String tag) throws Exception {
        var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(registry.url() + "/v2/" + repository + "/manifests/" + tag))
                .method("HEAD", java.net.http.HttpRequest.BodyPublishers.noBody())
                .header("Accept", "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json,"
                        + " application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json")
                .header("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString(
                        (REGISTRY_USER + ":" + REGISTRY_PASSWORD).getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .build();
        try (var http = java.net.http.HttpClient.newHttpClient()) {
            var r = http.send(request, java.net.http.HttpResponse.BodyHandlers.discarding());
            return r.statusCode() == 200 ? r.headers().firstValue("Docker-Content-Digest").orElseThrow() : null;
        }
    }

    @Override
    public void close() {
        Programs.closeAll(flux, agent, kas, kube, registry);
    }
}
