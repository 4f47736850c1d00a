package dev.kastor.bridge.flux.agent;

import dev.kastor.bridge.flux.rpc.OciPush;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.Locale;
import java.util.Map;

/**
 * A Flux {@code GitRepository} or {@code OCIRepository} as the agent sees it: where it points and, for OCI, which
 * artifact it follows ({@code spec.ref}), so a push of another tag does not make Flux look.
 */
record FluxSource(Kind kind, String namespace, String name, String uid, String url, String tag, String semver, String digest) {
    /** The source kinds the agent keeps Receivers for, with the short word their Receivers are named by. */
    enum Kind {
        GIT_REPOSITORY("GitRepository", "gitrepositories", "git"),
        OCI_REPOSITORY("OCIRepository", "ocirepositories", "oci");

        static final String GROUP = "source.toolkit.fluxcd.io";
        static final String VERSION = "v1";

        final String kind;
        final String word;
        final ResourceDefinitionContext context;

        Kind(String kind, String plural, String word) {
            this.kind = kind;
            this.word = word;
            this.context = new ResourceDefinitionContext.Builder().withGroup(GROUP).withVersion(VERSION).withKind(kind)
                    .withPlural(plural).withNamespaced(true).build();
        }

        String apiVersion() {
            return GROUP + "/" + VERSION;
        }
    }

    /** Identifies a source across its updates. */
    record Key(Kind kind, String namespace, String name) {
        @Override
        public String toString() {
            return kind.kind + " " + namespace + "/" + name;
        }
    }

    Key key() {
        return new Key(kind, namespace, name);
    }

    static FluxSource of(Kind kind, GenericKubernetesResource r) {
        Map<String, Object> spec = map(r.getAdditionalProperties().get("spec"));
        Map<String, Object> ref = map(spec.get("ref"));
        return new FluxSource(kind, r.getMetadata().getNamespace(), r.getMetadata().getName(), r.getMetadata().getUid(),
                text(spec.get("url")), text(ref.get("tag")), text(ref.get("semver")), text(ref.get("digest")));
    }

    /**
     * Whether this OCI source follows what was pushed. A push by digest alone (no tag) may be what a tag now names, so
     * it counts; with no {@code spec.ref} Flux follows {@code latest}.
     */
    boolean follows(OciPush push) {
        if (digest != null) return digest.equalsIgnoreCase(push.getDigest());
        if (semver != null || push.getTag().isEmpty()) return true;
        return push.getTag().equals(tag != null ? tag : "latest");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    private static String text(Object o) {
        return o instanceof String s && !s.isBlank() ? s.trim() : null;
    }

    String describe() {
        return kind.kind.toLowerCase(Locale.ROOT) + " " + namespace + "/" + name;
    }
}
