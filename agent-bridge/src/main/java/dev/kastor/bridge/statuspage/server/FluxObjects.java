package dev.kastor.bridge.statuspage.server;

import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/**
 * Flux's kinds as the status page reads them (OCIRepository, GitRepository, Kustomization, HelmRelease): where the API
 * serves each, and what of an object the page shows: its Ready condition and the revision it holds or applied.
 */
final class FluxObjects {
    private FluxObjects() {}

    /** A Flux kind, where the API serves it, and where its revision is. */
    record Kind(String kind, String groupVersion, String plural, boolean source) {
        /** Every object of the kind, in all namespaces. */
        String path() {
            return "/apis/" + groupVersion + "/" + plural;
        }

        String path(String namespace, String name) {
            return "/apis/" + groupVersion + "/namespaces/" + namespace + "/" + plural + "/" + name;
        }
    }

    static final List<Kind> KINDS = List.of(
            new Kind("OCIRepository", "source.toolkit.fluxcd.io/v1", "ocirepositories", true),
            new Kind("GitRepository", "source.toolkit.fluxcd.io/v1", "gitrepositories", true),
            new Kind("Kustomization", "kustomize.toolkit.fluxcd.io/v1", "kustomizations", false),
            new Kind("HelmRelease", "helm.toolkit.fluxcd.io/v2", "helmreleases", false));

    /** The OCI annotations source-controller copies into an OCIRepository's {@code status.artifact.metadata}. */
    static final String SOURCE_ANNOTATION = "org.opencontainers.image.source";
    static final String REVISION_ANNOTATION = "org.opencontainers.image.revision";

    /** The URL without a user and password someone may have written into it (an HTTPS clone URL with a token). */
    static String withoutUserInfo(String url) {
        if (url == null) return null;
        try {
            var u = java.net.URI.create(url);
            if (u.getRawUserInfo() == null) return url;
            return new java.net.URI(u.getScheme(), null, u.getHost(), u.getPort(), u.getPath(), null, null).toString();
        } catch (IllegalArgumentException | java.net.URISyntaxException e) {
            return null; // not a URL: nothing to show or look up
        }
    }

    /** Kubernetes object names and namespaces (DNS-1123 subdomain): all that may go into a reconcile's path. */
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");

    /**
     * The API path of one Flux object, for a reconcile request; empty when {@code kind} is none of the four, or the
     * namespace or name is not a Kubernetes name (nothing else can reach the path).
     */
    static Optional<String> objectPath(String kind, String namespace, String name) {
        if (namespace == null || name == null || !NAME.matcher(namespace).matches() || !NAME.matcher(name).matches()) {
            return Optional.empty();
        }
        return KINDS.stream().filter(k -> k.kind().equals(kind)).findFirst().map(k -> k.path(namespace, name));
    }

    /** Kinds a reconcile may name. */
    static List<String> kinds() {
        return KINDS.stream().map(Kind::kind).toList();
    }

    /** One item of a {@code kind}'s list as the page shows it; an object without a Ready condition is "Unknown". */
    static AgentView.FluxObject object(Kind kind, JsonNode item) {
        JsonNode ready = null;
        for (JsonNode c : item.path("status").path("conditions")) {
            if ("Ready".equals(c.path("type").asString())) ready = c;
        }
        String revision = kind.source() ? item.path("status").path("artifact").path("revision").asString(null)
                : item.path("status").path("lastAppliedRevision").asString(null);
        String originUrl = null;
        String originRevision = null;
        if (kind.kind().equals("OCIRepository")) {
            JsonNode annotations = item.path("status").path("artifact").path("metadata");
            originUrl = annotations.path(SOURCE_ANNOTATION).asString(null);
            originRevision = annotations.path(REVISION_ANNOTATION).asString(null);
        } else if (kind.kind().equals("GitRepository")) {
            originUrl = withoutUserInfo(item.path("spec").path("url").asString(null));
            originRevision = revision;
        }
        if (originUrl == null || originRevision == null) {
            originUrl = null;
            originRevision = null;
        }
        return new AgentView.FluxObject(kind.kind(), item.path("metadata").path("namespace").asString(""), item.path("metadata").path("name").asString(""),
                ready == null ? "Unknown" : ready.path("status").asString("Unknown"),
                ready == null ? null : ready.path("reason").asString(null),
                ready == null ? null : ready.path("message").asString(null),
                revision,
                ready == null ? null : ready.path("lastTransitionTime").asString(null), originUrl, originRevision);
    }
}
