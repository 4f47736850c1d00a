package dev.kastor.steps.kube;

import dev.kastor.steps.k8s.KubeConnection;
import io.fabric8.kubernetes.api.model.APIResource;
import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds each kind's resource (plural, namespaced) by API discovery, as kubectl does; kinds defined by a CRD in the
 * same input count too (their CRD is applied first). A kind the cluster does not serve is a problem to report.
 */
final class TypeResolver {
    private final KubeConnection conn;
    private final Map<String, APIResourceList> discovered = new HashMap<>();
    private final Map<String, ResourceDefinitionContext> fromCrds = new HashMap<>();

    TypeResolver(KubeConnection conn, List<Manifest> manifests) {
        this.conn = conn;
        for (Manifest m : manifests) {
            if (m.rank() != 0) continue;
            var o = m.object();
            String group = str(o.get("spec", "group"));
            String kind = str(o.get("spec", "names", "kind"));
            String plural = str(o.get("spec", "names", "plural"));
            boolean namespaced = "Namespaced".equals(str(o.get("spec", "scope")));
            Object versions = o.get("spec", "versions");
            if (group == null || kind == null || plural == null || !(versions instanceof List<?> vs)) continue;
            for (Object v : vs) {
                if (v instanceof Map<?, ?> vm && vm.get("name") != null) {
                    String version = vm.get("name").toString();
                    fromCrds.put(group + "/" + version + "/" + kind, new ResourceDefinitionContext.Builder().withGroup(group).withVersion(version)
                            .withKind(kind).withPlural(plural).withNamespaced(namespaced).build());
                }
            }
        }
    }

    /** The resource of a manifest's kind, or null when the cluster does not serve it (the caller reports it). */
    ResourceDefinitionContext resolve(Manifest m) {
        String apiVersion = m.object().getApiVersion();
        var crd = fromCrds.get(apiVersion + "/" + m.object().getKind());
        if (crd != null) return crd;
        APIResourceList list = discovered.computeIfAbsent(apiVersion, av -> {
            try {
                return conn.client().getApiResources(av);
            } catch (KubernetesClientException e) {
                if (e.getCode() == 404) return null;
                throw conn.explain("discovering " + av, e);
            }
        });
        if (list == null || list.getResources() == null || list.getResources().isEmpty()) return builtIn(apiVersion, m.object().getKind());
        for (APIResource r : list.getResources()) {
            if (r.getName().contains("/")) continue; // subresources
            if (m.object().getKind().equals(r.getKind())) return ResourceDefinitionContext.fromApiResource(apiVersion, r);
        }
        return null;
    }

    /**
     * A server that answers no discovery for a group version (some proxies and test API servers do not) still serves
     * the built-in kinds: take their plural and scope from fabric8's model. Kinds it does not know stay unknown.
     */
    private ResourceDefinitionContext builtIn(String apiVersion, String kind) {
        Class<? extends KubernetesResource> type = conn.client().getKubernetesSerialization().getRegisteredKubernetesResource(apiVersion, kind);
        if (type == null || !HasMetadata.class.isAssignableFrom(type)) return null;
        ResourceDefinitionContext rdc = ResourceDefinitionContext.fromResourceType(type);
        boolean core = rdc.getGroup() == null || rdc.getGroup().isEmpty();
        return apiVersion.equals(core ? rdc.getVersion() : rdc.getGroup() + "/" + rdc.getVersion()) ? rdc : null;
    }

    boolean servesVersion(String apiVersion) {
        return discovered.get(apiVersion) != null || fromCrds.keySet().stream().anyMatch(k -> k.startsWith(apiVersion + "/"));
    }

    private static String str(Object o) {
        return o == null ? null : o.toString();
    }
}
