package dev.kastor.testing.kube;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The Kubernetes API stand-in (no API server can run here, see TESTING.md): fabric8's mock server in CRUD mode over
 * HTTPS (a self-signed certificate for {@code localhost} and {@code 127.0.0.1}, see {@link #certificatePem()}), with
 * the Flux CRDs installed, server-side apply added by {@link ServerSideApplyStandIn} (a stand-in, not SSA's
 * field-ownership algorithm: read its comment for what it models) and the service proxy by {@link ServiceProxyStandIn}
 * (to targets a test registers with {@link #proxyService}). It cannot do what controllers do (tests write the
 * status a controller would, or start {@link FluxControllersStandIn}), strategic-merge patch or list paging.
 */
public final class KubeStandIn implements AutoCloseable, AfterAllCallback {
    public static final String JOB_TOKEN = "job-token-s3cr3t-4711";
    public static final ResourceDefinitionContext OCI_REPOSITORY = rdc("source.toolkit.fluxcd.io", "v1", "OCIRepository", "ocirepositories");
    public static final ResourceDefinitionContext GIT_REPOSITORY = rdc("source.toolkit.fluxcd.io", "v1", "GitRepository", "gitrepositories");
    public static final ResourceDefinitionContext KUSTOMIZATION = rdc("kustomize.toolkit.fluxcd.io", "v1", "Kustomization", "kustomizations");
    public static final ResourceDefinitionContext HELM_RELEASE = rdc("helm.toolkit.fluxcd.io", "v2", "HelmRelease", "helmreleases");
    public static final ResourceDefinitionContext RECEIVER = rdc("notification.toolkit.fluxcd.io", "v1", "Receiver", "receivers");

    private final MockWebServer web = new MockWebServer();
    private final ServerSideApplyStandIn dispatcher = new ServerSideApplyStandIn();
    private final ServiceProxyStandIn proxies;
    private final KubernetesMockServer server;
    private final NamespacedKubernetesClient client;

    private KubeStandIn(boolean coreDiscovery) {
        proxies = new ServiceProxyStandIn(coreDiscovery ? new CoreDiscoveryStandIn(dispatcher) : dispatcher);
        server = new KubernetesMockServer(new io.fabric8.mockwebserver.Context(), web, new java.util.HashMap<>(), proxies, true);
        server.init(java.net.InetAddress.getLoopbackAddress(), 0);
        client = server.createClient(new JdkHttpClientFactory());
        for (ResourceDefinitionContext r : List.of(OCI_REPOSITORY, GIT_REPOSITORY, KUSTOMIZATION, HELM_RELEASE, RECEIVER)) {
            client.apiextensions().v1().customResourceDefinitions().resource(crd(r)).create();
        }
    }

    public static KubeStandIn start() {
        return new KubeStandIn(false);
    }

    /**
     * The stand-in with API discovery for the core and {@code apps} kinds ({@link CoreDiscoveryStandIn}), which
     * {@code kubectl get} needs; without it, clients see a server that serves no discovery.
     */
    public static KubeStandIn withCoreDiscovery() {
        return new KubeStandIn(true);
    }

    /** The API server URL, as the KAS k8s-proxy URL would be in a GitLab kubeconfig. */
    public String url() {
        return "https://127.0.0.1:" + server.getPort();
    }

    /**
     * The server's self-signed certificate (PEM; subject alternative names {@code localhost} and {@code 127.0.0.1}):
     * the CA a client gives to trust {@link #url()} instead of skipping verification.
     */
    public String certificatePem() {
        try {
            return Files.readString(certificateFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@link #certificatePem()} as a file (made by the mock server, deleted when the JVM exits), e.g. for {@code --ca-file}. */
    public Path certificateFile() {
        return Path.of(web.getSelfSignedCertificate().certificatePath());
    }

    /**
     * A TLS context trusting only the stand-in's certificate, for a Java client (the JDK HttpClient, or an in-process
     * agent's {@code KubeApiUpstream}) that verifies the server as it would a real API server.
     */
    public javax.net.ssl.SSLContext sslContext() {
        try (var in = Files.newInputStream(certificateFile())) {
            var ks = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
            ks.load(null, null);
            ks.setCertificateEntry("kube-stand-in", java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in));
            var tmf = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            var ctx = javax.net.ssl.SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("cannot trust the stand-in's certificate " + certificateFile(), e);
        }
    }

    /**
     * Writes a kubeconfig for a process that talks to the stand-in itself, as an in-cluster agent does with its service
     * account: server {@link #url()}, the certificate as {@code certificate-authority-data} (verified, not skipped),
     * bearer {@code token}. The agent bridge reads such a file through {@code KUBECONFIG}.
     */
    public Path writeDirectKubeconfig(Path file, String token) {
        String ca = java.util.Base64.getEncoder().encodeToString(certificatePem().getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        String text = "apiVersion: v1\nkind: Config\nclusters:\n- name: stand-in\n  cluster:\n    certificate-authority-data: " + ca
                + "\n    server: " + url() + "\nusers:\n- name: agent\n  user:\n    token: " + token
                + "\ncontexts:\n- name: stand-in\n  context:\n    cluster: stand-in\n    user: agent\ncurrent-context: stand-in\n";
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    /**
     * Makes the API server's service proxy path for service {@code name} in {@code namespace}
     * ({@code /api/v1/namespaces/<namespace>/services/[<scheme>:]<name>[:<port>]/proxy/<rest>}) reach {@code target}
     * + {@code /<rest>}, as it would reach the service's endpoints; replaces an earlier target. A service never given a
     * target answers 503, as one without endpoints does. {@link ServiceProxyStandIn} says what is forwarded and what
     * is not modelled.
     */
    public void proxyService(String namespace, String name, URI target) {
        proxies.register(namespace, name, target);
    }

    /** Every server-side apply the stand-in answered, with its body, {@code force}, {@code dryRun} and answer code. */
    public List<ServerSideApplyStandIn.Applied> serverSideApplies() {
        return dispatcher.applies();
    }

    /** The test's own client: it plays the Flux controllers by writing status. */
    public NamespacedKubernetesClient client() {
        return client;
    }

    /** A client of its own (closed by the caller), for a test thread that must not share connections with another. */
    public NamespacedKubernetesClient newClient() {
        return server.createClient(new JdkHttpClientFactory());
    }

    /** The requests received since the last call (or since the start), in order: the mock server's log, drained. */
    public List<RecordedRequest> takeRequests() throws InterruptedException {
        var out = new java.util.ArrayList<RecordedRequest>();
        for (RecordedRequest r; (r = server.takeRequest(50, java.util.concurrent.TimeUnit.MILLISECONDS)) != null; ) out.add(r);
        return out;
    }

    /** The mock server itself: its request log ({@code takeRequest}) shows every request a test's subject sent. */
    public KubernetesMockServer server() {
        return server;
    }

    /**
     * Writes a kubeconfig shaped exactly like the one GitLab injects: cluster {@code gitlab}, user {@code agent:<id>}
     * with token {@code ci:<id>:<job token>}, one context {@code <project path>:<agent name>} per agent.
     */
    public Path writeKubeconfig(Path file, Map<String, Long> agentsByContext) {
        var sb = new StringBuilder("apiVersion: v1\nkind: Config\nclusters:\n- name: gitlab\n  cluster:\n    insecure-skip-tls-verify: true\n    server: " + url() + "\nusers:\n");
        agentsByContext.values().stream().distinct().forEach(id ->
                sb.append("- name: agent:").append(id).append("\n  user:\n    token: ci:").append(id).append(':').append(JOB_TOKEN).append('\n'));
        sb.append("contexts:\n");
        agentsByContext.forEach((ctx, id) -> sb.append("- name: ").append(ctx).append("\n  context:\n    cluster: gitlab\n    user: agent:").append(id).append('\n'));
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, sb.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    /**
     * Creates an object of a namespaced kind (a Flux OCIRepository or Kustomization, say) with this {@code spec}, as a
     * user's manifest would; the stand-in gives it uid, resourceVersion and generation 1. Returns it as stored.
     */
    public GenericKubernetesResource create(ResourceDefinitionContext rdc, String ns, String name, Map<String, Object> spec) {
        var o = new io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder().withApiVersion(rdc.getGroup() + "/" + rdc.getVersion())
                .withKind(rdc.getKind()).withNewMetadata().withName(name).withNamespace(ns).endMetadata().build();
        o.setAdditionalProperty("spec", spec);
        return client.genericKubernetesResources(rdc).inNamespace(ns).resource(o).create();
    }

    /**
     * Writes {@code status} on an object as its controller would, with {@code observedGeneration} = its generation
     * unless {@code status} says otherwise; through a client of its own, so any test thread may call it.
     */
    public void writeStatus(ResourceDefinitionContext rdc, String ns, String name, Map<String, Object> status) {
        try (var writer = newClient()) {
            GenericKubernetesResource o = writer.genericKubernetesResources(rdc).inNamespace(ns).withName(name).get();
            var s = new java.util.LinkedHashMap<String, Object>(status);
            s.putIfAbsent("observedGeneration", o.getMetadata().getGeneration());
            o.setAdditionalProperty("status", s);
            writer.genericKubernetesResources(rdc).inNamespace(ns).resource(o).updateStatus();
        }
    }

    /** The object now, or null; {@code ns} null for a cluster-scoped kind. */
    public GenericKubernetesResource get(ResourceDefinitionContext rdc, String ns, String name) {
        var op = client.genericKubernetesResources(rdc);
        return ns == null ? op.withName(name).get() : op.inNamespace(ns).withName(name).get();
    }

    /**
     * Closes the stand-in after a test class that holds it as {@code @RegisterExtension static final KubeStandIn kube =
     * KubeStandIn.start();}, so the class needs no start and stop methods of its own.
     */
    @Override
    public void afterAll(ExtensionContext context) {
        close();
    }

    @Override
    public void close() {
        client.close();
        server.destroy();
    }

    private static ResourceDefinitionContext rdc(String group, String version, String kind, String plural) {
        return new ResourceDefinitionContext.Builder().withGroup(group).withVersion(version).withKind(kind).withPlural(plural).withNamespaced(true).build();
    }

    private static CustomResourceDefinition crd(ResourceDefinitionContext r) {
        return new CustomResourceDefinitionBuilder()
                .withNewMetadata().withName(r.getPlural() + "." + r.getGroup()).endMetadata()
                .withNewSpec().withGroup(r.getGroup()).withScope("Namespaced")
                .withNewNames().withKind(r.getKind()).withPlural(r.getPlural()).withSingular(r.getKind().toLowerCase()).endNames()
                .addNewVersion().withName(r.getVersion()).withServed(true).withStorage(true)
                .withNewSubresources().withNewStatus().endStatus().endSubresources()
                .withNewSchema().withNewOpenAPIV3Schema().withType("object").withXKubernetesPreserveUnknownFields(true).endOpenAPIV3Schema().endSchema()
                .endVersion().endSpec().build();
    }
}
