package dev.kastor.steps.flux;

import dev.kastor.oci.InvalidInputException;
import dev.kastor.steps.k8s.Conditions;
import dev.kastor.steps.k8s.KubeConnection;
import dev.kastor.steps.k8s.ObjectRef;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;

/** Finds the OCIRepository of an artifact URL or the GitRepository of a project, and the Kustomizations and HelmReleases whose source it is. */
public final class Discovery {
    private final KubeConnection conn;

    public Discovery(KubeConnection conn) {
        this.conn = conn;
    }

    /** {@code oci://host/repo:tag} or {@code oci://host/repo@sha256:…} → {@code oci://host/repo}, as OCIRepository spec.url holds it. */
    public static String repositoryUrl(String url) {
        String u = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        int at = u.indexOf('@');
        if (at > 0) u = u.substring(0, at);
        int slash = u.lastIndexOf('/');
        int colon = u.lastIndexOf(':');
        if (colon > slash && slash > "oci://".length()) u = u.substring(0, colon);
        return u;
    }

    /** @param fallbackNamespace where to look when the agent may not list OCIRepositories cluster-wide */
    public ObjectRef sourceByUrl(String url, String fallbackNamespace) {
        return sourceBy(FluxKind.OCIRepository, Discovery::repositoryUrl, url, fallbackNamespace);
    }

    /**
     * The GitRepository that clones the project at {@code url}, whichever of the project's HTTP or SSH clone URLs
     * its {@code spec.url} holds ({@link CloneUrls}).
     */
    public ObjectRef gitSourceByUrl(String url, String fallbackNamespace) {
        return sourceBy(FluxKind.GitRepository, CloneUrls::key, url, fallbackNamespace);
    }

    /** The one source of {@code kind} whose {@code spec.url} has the same key as {@code url}. */
    private ObjectRef sourceBy(FluxKind kind, UnaryOperator<String> key, String url, String fallbackNamespace) {
        String want = key.apply(url);
        var found = new ArrayList<ObjectRef>();
        for (GenericKubernetesResource o : list(kind, fallbackNamespace)) {
            String have = Conditions.string(o, "spec", "url");
            if (have != null && key.apply(have).equals(want)) {
                found.add(new ObjectRef(kind.type(), o.getMetadata().getNamespace(), o.getMetadata().getName()));
            }
        }
        String several = kind == FluxKind.OCIRepository ? " OCIRepositories pull " : " GitRepositories clone ";
        if (found.isEmpty()) {
            throw new InvalidInputException("no " + kind + " with spec.url " + want + " visible via " + conn.context().name()
                    + "; name it with --source NAMESPACE/NAME");
        }
        if (found.size() > 1) {
            throw new InvalidInputException(found.size() + several + want + ": " + found + "; pick one with --source NAMESPACE/NAME");
        }
        return found.get(0);
    }

    /** Kustomizations ({@code spec.sourceRef}) and HelmReleases ({@code spec.chartRef}) that take their content from {@code source}. */
    public List<ObjectRef> dependents(ObjectRef source) {
        var out = new ArrayList<ObjectRef>();
        for (FluxKind kind : List.of(FluxKind.Kustomization, FluxKind.HelmRelease)) {
            String refField = kind == FluxKind.Kustomization ? "sourceRef" : "chartRef";
            for (GenericKubernetesResource o : list(kind, source.namespace())) {
                Object ref = o.get("spec", refField);
                if (!(ref instanceof Map<?, ?> m)) continue;
                String ns = m.get("namespace") == null ? o.getMetadata().getNamespace() : m.get("namespace").toString();
                if (source.kind().equals(m.get("kind")) && source.name().equals(m.get("name")) && Objects.equals(ns, source.namespace())) {
                    out.add(new ObjectRef(kind.type(), o.getMetadata().getNamespace(), o.getMetadata().getName()));
                }
            }
        }
        return out;
    }

    /** All namespaces when the agent may list them, else the fallback namespace (agents often have namespaced RBAC). */
    private List<GenericKubernetesResource> list(FluxKind kind, String fallbackNamespace) {
        var op = conn.client().genericKubernetesResources(kind.type());
        try {
            return op.inAnyNamespace().list().getItems();
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404) return List.of(); // CRD not installed (e.g. no helm-controller)
            if (e.getCode() != 403 || fallbackNamespace == null) throw conn.explain("listing " + kind.plural, e);
            try {
                return op.inNamespace(fallbackNamespace).list().getItems();
            } catch (KubernetesClientException e2) {
                if (e2.getCode() == 404) return List.of();
                throw conn.explain("listing " + kind.plural + " in " + fallbackNamespace, e2);
            }
        }
    }
}
