package dev.kastor.testing.kube;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import tools.jackson.databind.json.JsonMapper;

/**
 * The Flux controllers stand-in (Flux cannot run here, see TESTING.md): on a {@link KubeStandIn}, it plays
 * source-controller for OCIRepositories and GitRepositories and kustomize-controller for Kustomizations by writing the
 * status they would write, following Flux's documented API (DESIGN.md's Flux section; the source.toolkit.fluxcd.io/v1
 * and kustomize.toolkit.fluxcd.io/v1 specs for the shapes). It polls every object of those kinds in every namespace
 * (every 150 ms unless told otherwise) and writes a status only when it differs from the one there.
 *
 * <p>OCIRepository ({@code spec.url} {@code oci://host/repo}, {@code spec.ref.tag}, default {@code latest}, or
 * {@code spec.ref.digest}): the tag is resolved by the caller's {@link DigestResolver} on every pass, so a new push is
 * seen at once; then {@code status.artifact} ({@code revision <tag>@sha256:<digest>}, {@code digest}, {@code path},
 * {@code url}, {@code lastUpdateTime}), conditions {@code Ready=True} and {@code ArtifactInStorage=True} with reason
 * {@code Succeeded}, {@code observedGeneration}, {@code url}. A tag that does not resolve (or a resolver failure) gives
 * {@code Ready=False OCIArtifactPullFailed} and keeps the last artifact, as source-controller does.
 *
 * <p>GitRepository ({@code spec.url}, {@code spec.ref}): the ref is resolved by the caller's {@link CommitResolver} on
 * every pass, with the revision formats of Flux's GitRepository spec: {@code branch} ({@code refs/heads/<branch>}) and
 * {@code tag} ({@code refs/tags/<tag>}) give {@code <branch|tag>@sha1:<sha>}, {@code name} (e.g.
 * {@code refs/heads/main}) gives {@code <name>@sha1:<sha>}, {@code commit} gives {@code sha1:<commit>}, or
 * {@code <branch>@sha1:<commit>} with a branch; no ref means branch {@code master}, precedence commit, name, semver, tag,
 * branch. Then {@code status.artifact} ({@code revision}, {@code path}, {@code url}, {@code lastUpdateTime}), {@code
 * Ready=True Succeeded "stored artifact for revision '…'"} and {@code ArtifactInStorage=True}; a ref that does not
 * resolve gives {@code Ready=False GitOperationFailed} and {@code FetchFailed=True}, keeping the last artifact.
 *
 * <p>Kustomization whose {@code spec.sourceRef} is an OCIRepository or a GitRepository (namespace defaulting to the
 * Kustomization's): {@code lastAppliedRevision} and {@code lastAttemptedRevision} = the source's artifact revision,
 * {@code Ready=True ReconciliationSucceeded "Applied revision: …"}, {@code observedGeneration = metadata.generation};
 * a missing source or one without an artifact gives {@code Ready=False ArtifactFailed}. Kustomizations of other source
 * kinds (Bucket) are left alone.
 *
 * <p>All record {@code reconcile.fluxcd.io/requestedAt} as {@code status.lastHandledReconcileAt}; suspended objects
 * ({@code spec.suspend: true}) are skipped.
 *
 * <p>What it does not do: pull, clone or unpack anything, or apply anything to the cluster (no inventory, no health
 * checks, no pruning, no events); honour {@code spec.interval} (a real source-controller sees a push only at its
 * interval or on a reconcile request; the stand-in sees it on its next pass), {@code dependsOn}, {@code semver} refs,
 * {@code include}, verification or HelmReleases. {@code status.artifact.digest} is the manifest digest for an
 * OCIRepository here (source-controller puts the digest of the tarball it stored there) and absent for a GitRepository
 * (no tarball is made). {@code lastAppliedOriginRevision} is not written.
 */
public final class FluxControllersStandIn implements AutoCloseable {
    /** How long between two passes unless {@link #start(KubeStandIn, DigestResolver, Duration)} says otherwise. */
    public static final Duration DEFAULT_EVERY = Duration.ofMillis(150);
    static final String REQUESTED_AT = "reconcile.fluxcd.io/requestedAt";

    /** What the tag of an OCI repository points to now: a registry lookup the caller supplies. */
    @FunctionalInterface
    public interface DigestResolver {
        /**
         * @param repositoryUrl {@code oci://host/repo}, as in {@code spec.url}
         * @return the manifest digest {@code sha256:<hex>} the tag points to, or null when the tag does not exist
         */
        String digest(String repositoryUrl, String tag) throws Exception;
    }

    /** What a Git ref points to now: a lookup the caller supplies (e.g. {@link GitRefs#resolve} on a real repository). */
    @FunctionalInterface
    public interface CommitResolver {
        /**
         * @param url {@code spec.url} of the GitRepository
         * @param ref a full ref name ({@code refs/heads/main}, {@code refs/tags/v1.0.0}) or the spec's {@code ref.name}
         * @return the 40-hex commit sha the ref points to, or null when it does not exist
         */
        String commit(String url, String ref) throws Exception;
    }

    /** For callers that follow no GitRepository: every one of them fails to resolve, saying why. */
    private static final CommitResolver NO_GIT = (url, ref) -> {
        throw new IllegalStateException("the Flux controllers stand-in was started without a CommitResolver");
    };

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final NamespacedKubernetesClient client;
    private final DigestResolver resolver;
    private final CommitResolver git;
    private final ScheduledExecutorService passes;
    private volatile Exception lastError;

    private FluxControllersStandIn(KubeStandIn kube, DigestResolver resolver, CommitResolver git, Duration every) {
        this.client = kube.newClient();
        this.resolver = resolver;
        this.git = git;
        this.passes = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "flux-controllers-stand-in");
            t.setDaemon(true);
            return t;
        });
        passes.scheduleWithFixedDelay(this::pass, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Starts playing the controllers on {@code kube}: a pass every {@link #DEFAULT_EVERY}, the first one after that long. */
    public static FluxControllersStandIn start(KubeStandIn kube, DigestResolver resolver) {
        return start(kube, resolver, DEFAULT_EVERY);
    }

    public static FluxControllersStandIn start(KubeStandIn kube, DigestResolver resolver, Duration every) {
        return new FluxControllersStandIn(kube, resolver, NO_GIT, every);
    }

    /** Plays source-controller for GitRepositories too, their refs resolved by {@code git}. */
    public static FluxControllersStandIn start(KubeStandIn kube, DigestResolver resolver, CommitResolver git, Duration every) {
        return new FluxControllersStandIn(kube, resolver, git, every);
    }

    /**
     * One pass now, on the caller's thread (passes never overlap): every OCIRepository and GitRepository, then every
     * Kustomization, so a test can assert the status the controllers would have written without waiting for the next pass.
     */
    public synchronized void reconcileNow() {
        var sources = new HashMap<String, Map<String, Object>>(); // "Kind ns/name" of a source -> its status
        reconcileSources(KubeStandIn.OCI_REPOSITORY, this::ociStatus, sources);
        reconcileSources(KubeStandIn.GIT_REPOSITORY, this::gitStatus, sources);
        for (GenericKubernetesResource ks : list(KubeStandIn.KUSTOMIZATION)) {
            Object ref = ks.get("spec", "sourceRef");
            if (suspended(ks) || !(ref instanceof Map<?, ?> r) || !List.of("OCIRepository", "GitRepository").contains(r.get("kind"))) continue;
            String ns = r.get("namespace") == null ? ks.getMetadata().getNamespace() : r.get("namespace").toString();
            String key = r.get("kind") + " " + ns + "/" + r.get("name");
            String notFound = r.get("kind") + ".source.toolkit.fluxcd.io \"" + r.get("name") + "\" not found";
            write(KubeStandIn.KUSTOMIZATION, ks, kustomizationStatus(ks, sources.containsKey(key), sources.get(key), notFound));
        }
    }

    private void reconcileSources(ResourceDefinitionContext type, Function<GenericKubernetesResource, Map<String, Object>> controller,
            Map<String, Map<String, Object>> sources) {
        for (GenericKubernetesResource source : list(type)) {
            Map<String, Object> status = suspended(source) ? status(source) : write(type, source, controller.apply(source));
            sources.put(type.getKind() + " " + source.getMetadata().getNamespace() + "/" + source.getMetadata().getName(), status);
        }
    }

    /** The last failure of a pass (the stand-in itself, not a Flux failure it reports in a status), or null. */
    public Exception lastError() {
        return lastError;
    }

    @Override
    public void close() {
        passes.shutdownNow();
        try {
            passes.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        client.close();
    }

    private void pass() {
        try {
            reconcileNow();
        } catch (Exception e) {
            lastError = e; // the next pass tries again, as a controller requeues
        }
    }

    /** What source-controller writes for an OCIRepository: a new artifact when the ref resolves, else a failure keeping the old one. */
    private Map<String, Object> ociStatus(GenericKubernetesResource o) {
        String url = str(o.get("spec", "url"));
        String tag = str(o.get("spec", "ref", "tag"));
        String pinned = str(o.get("spec", "ref", "digest"));
        if (pinned != null) return sourceStatus(o, "ocirepository", new Resolved(pinned, null), "OCIArtifactPullFailed", "digest");
        if (o.get("spec", "ref", "semver") != null) {
            return sourceStatus(o, "ocirepository", new Resolved(null, "the Flux controllers stand-in resolves spec.ref.tag and spec.ref.digest only, not semver"),
                    "OCIArtifactPullFailed", "digest");
        }
        String t = tag == null ? "latest" : tag;
        Resolved r;
        try {
            String digest = resolver.digest(url, t);
            r = digest == null ? new Resolved(null, "failed to determine artifact digest: " + url + ":" + t + ": MANIFEST_UNKNOWN: manifest unknown")
                    : new Resolved(t + "@" + digest, null);
        } catch (Exception e) {
            r = new Resolved(null, "failed to determine artifact digest: " + e.getMessage());
        }
        return sourceStatus(o, "ocirepository", r, "OCIArtifactPullFailed", "digest");
    }

    /** What source-controller writes for a GitRepository, with the revision formats of its spec (see the class comment). */
    private Map<String, Object> gitStatus(GenericKubernetesResource o) {
        String url = str(o.get("spec", "url"));
        String branch = str(o.get("spec", "ref", "branch"));
        String tag = str(o.get("spec", "ref", "tag"));
        String name = str(o.get("spec", "ref", "name"));
        String commit = str(o.get("spec", "ref", "commit"));
        Resolved r;
        if (commit != null) {
            r = new Resolved(branch == null ? "sha1:" + commit : branch + "@sha1:" + commit, null);
        } else if (name == null && o.get("spec", "ref", "semver") != null) {
            r = new Resolved(null, "the Flux controllers stand-in resolves spec.ref.branch, tag, name and commit only, not semver");
        } else {
            String label = name != null ? name : tag != null ? tag : branch != null ? branch : "master";
            String full = name != null ? name : tag != null ? "refs/tags/" + tag : "refs/heads/" + label;
            r = resolveGit(url, label, full);
        }
        return sourceStatus(o, "gitrepository", r, "GitOperationFailed", "revision");
    }

    private Resolved resolveGit(String url, String label, String ref) {
        try {
            String sha = git.commit(url, ref);
            return sha == null ? new Resolved(null, "failed to checkout and determine revision: unable to resolve " + ref + " in '" + url + "'")
                    : new Resolved(label + "@sha1:" + sha, null);
        } catch (Exception e) {
            return new Resolved(null, "failed to checkout and determine revision: unable to clone '" + url + "': " + e.getMessage());
        }
    }

    /** A source's revision ({@code <ref>@<algo>:<hex>} or {@code <algo>:<hex>}) or why there is none. */
    private record Resolved(String revision, String failure) {}

    /**
     * The status of a source: a new artifact for a resolved revision (its storage path under {@code kind}), else
     * {@code Ready=False} and {@code FetchFailed=True} with {@code failedReason}, keeping the last artifact.
     * {@code storedWhat} is how the Ready message names the revision ("digest" for OCI, "revision" for Git).
     */
    private Map<String, Object> sourceStatus(GenericKubernetesResource o, String kind, Resolved r, String failedReason, String storedWhat) {
        Map<String, Object> now = status(o);
        var next = new LinkedHashMap<>(now);
        String storage = "http://source-controller.flux-system.svc.cluster.local./" + kind + "/" + o.getMetadata().getNamespace() + "/"
                + o.getMetadata().getName() + "/";
        var conditions = new ArrayList<Map<String, Object>>();
        if (r.revision() != null) {
            String hex = r.revision().substring(r.revision().lastIndexOf(':') + 1);
            var artifact = new LinkedHashMap<String, Object>();
            Object previous = now.get("artifact");
            boolean same = previous instanceof Map<?, ?> p && r.revision().equals(p.get("revision"));
            if (kind.equals("ocirepository")) artifact.put("digest", r.revision().substring(r.revision().indexOf('@') + 1));
            artifact.put("lastUpdateTime", same ? ((Map<?, ?>) previous).get("lastUpdateTime") : timestamp());
            artifact.put("path", kind + "/" + o.getMetadata().getNamespace() + "/" + o.getMetadata().getName() + "/" + hex + ".tar.gz");
            artifact.put("revision", r.revision());
            artifact.put("url", storage + hex + ".tar.gz");
            next.put("artifact", artifact);
            next.put("url", storage + "latest.tar.gz");
            String message = "stored artifact for " + storedWhat + " '" + r.revision() + "'";
            conditions.add(condition(now, "Ready", "True", "Succeeded", message, o));
            conditions.add(condition(now, "ArtifactInStorage", "True", "Succeeded", message, o));
        } else {
            conditions.add(condition(now, "Ready", "False", failedReason, r.failure(), o));
            conditions.add(condition(now, "FetchFailed", "True", failedReason, r.failure(), o));
        }
        return finish(o, next, conditions);
    }

    /** What kustomize-controller writes for a Kustomization fed by an OCIRepository with status {@code source}. */
    private Map<String, Object> kustomizationStatus(GenericKubernetesResource o, boolean sourceExists, Map<String, Object> source, String notFound) {
        Map<String, Object> now = status(o);
        var next = new LinkedHashMap<>(now);
        Object artifact = source == null ? null : source.get("artifact");
        String revision = artifact instanceof Map<?, ?> a ? str(a.get("revision")) : null;
        var conditions = new ArrayList<Map<String, Object>>();
        if (revision != null) {
            next.put("lastAppliedRevision", revision);
            next.put("lastAttemptedRevision", revision);
            conditions.add(condition(now, "Ready", "True", "ReconciliationSucceeded", "Applied revision: " + revision, o));
        } else {
            conditions.add(condition(now, "Ready", "False", "ArtifactFailed", sourceExists ? "Source artifact not found, retrying in 30s" : notFound, o));
        }
        return finish(o, next, conditions);
    }

    private static Map<String, Object> finish(GenericKubernetesResource o, Map<String, Object> next, List<Map<String, Object>> conditions) {
        next.put("conditions", conditions);
        next.put("observedGeneration", generation(o));
        var annotations = o.getMetadata().getAnnotations();
        if (annotations != null && annotations.get(REQUESTED_AT) != null) next.put("lastHandledReconcileAt", annotations.get(REQUESTED_AT));
        return next;
    }

    /** A condition as Flux writes it; its lastTransitionTime stays while its status does not change. */
    private static Map<String, Object> condition(Map<String, Object> status, String type, String value, String reason, String message, GenericKubernetesResource o) {
        String since = timestamp();
        if (status.get("conditions") instanceof List<?> old) {
            for (Object c : old) {
                if (c instanceof Map<?, ?> m && type.equals(m.get("type")) && value.equals(m.get("status")) && m.get("lastTransitionTime") != null) {
                    since = m.get("lastTransitionTime").toString();
                }
            }
        }
        var c = new LinkedHashMap<String, Object>();
        c.put("lastTransitionTime", since);
        c.put("message", message);
        c.put("observedGeneration", generation(o));
        c.put("reason", reason);
        c.put("status", value);
        c.put("type", type);
        return c;
    }

    /** Writes {@code status} if it differs from the object's; returns the status now in place. A conflict waits for the next pass. */
    private Map<String, Object> write(ResourceDefinitionContext type, GenericKubernetesResource o, Map<String, Object> status) {
        Map<String, Object> now = status(o);
        if (normal(status).equals(normal(now))) return now;
        o.setAdditionalProperty("status", status);
        try {
            client.genericKubernetesResources(type).inNamespace(o.getMetadata().getNamespace()).resource(o).updateStatus();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) throw e; // changed since it was listed: the next pass sees the new version
            return now;
        }
        return status;
    }

    private List<GenericKubernetesResource> list(ResourceDefinitionContext type) {
        return client.genericKubernetesResources(type).inAnyNamespace().list().getItems();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> status(GenericKubernetesResource o) {
        Object s = o.getAdditionalProperties().get("status");
        return s instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    private static boolean suspended(GenericKubernetesResource o) {
        return Boolean.TRUE.equals(o.get("spec", "suspend"));
    }

    private static long generation(GenericKubernetesResource o) {
        Long g = o.getMetadata().getGeneration();
        return g == null ? 0 : g;
    }

    /** The same JSON for the same content, whatever number and map types the two sides were read into. */
    private static Object normal(Object o) {
        return JSON.readValue(JSON.writeValueAsBytes(o), Object.class);
    }

    private static String timestamp() {
        return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    }

    private static String str(Object o) {
        return o == null ? null : o.toString();
    }
}
