package dev.kastor.bridge.flux.agent;

import dev.kastor.bridge.agents.Hashes;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Keeps a Flux {@code Receiver} (type {@code generic}, resource = the source) and its token {@code Secret} next to
 * each source of the instance, with server-side apply under the field manager {@code kastor-agent}, labelled as the
 * agent's and owned by the source (so Kubernetes removes them with it even while no agent runs). Used from one thread.
 */
final class ReceiverKeeper {
    static final String FIELD_MANAGER = "kastor-agent";
    static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    static final ResourceDefinitionContext RECEIVER = new ResourceDefinitionContext.Builder().withGroup("notification.toolkit.fluxcd.io")
            .withVersion("v1").withKind("Receiver").withPlural("receivers").withNamespaced(true).build();
    private static final String TOKEN_KEY = "token";
    private static final int MAX_NAME = 253;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A Receiver the agent keeps: its source, name and Flux's hook path for it (a secret: whoever has it triggers). */
    record Kept(FluxSource source, String receiver, String hookPath) {
        @Override
        public String toString() {
            return "Kept[" + source.key() + ", receiver=" + receiver + "]";
        }
    }

    /** The API server has no Receiver kind: Flux's notification-controller is not installed. */
    static final class NoReceiverKind extends Exception {
        NoReceiverKind() {
            super("the cluster has no Flux Receiver kind (" + RECEIVER.getGroup() + "/" + RECEIVER.getVersion()
                    + "): install Flux's notification-controller", null, false, false);
        }
    }

    private final KubernetesClient client;
    private final Map<FluxSource.Key, Kept> kept = new HashMap<>();

    ReceiverKeeper(KubernetesClient client) {
        this.client = client;
    }

    /** Applies the source's Secret (keeping its token when it has one) and Receiver. */
    Kept keep(FluxSource source) throws NoReceiverKind {
        String name = receiverName(source);
        String token = existingToken(source.namespace(), name).orElseGet(ReceiverKeeper::newToken);
        client.secrets().inNamespace(source.namespace()).resource(secret(source, name, token))
                .fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
        try {
            client.genericKubernetesResources(RECEIVER).inNamespace(source.namespace()).resource(receiver(source, name))
                    .fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404) throw new NoReceiverKind();
            throw e;
        }
        var k = new Kept(source, name, hookPath(token, name, source.namespace()));
        kept.put(source.key(), k);
        return k;
    }

    /** Removes what {@link #keep} made for the source; true when it kept one. */
    boolean drop(FluxSource.Key key) {
        Kept k = kept.remove(key);
        if (k == null) return false;
        delete(key.namespace(), k.receiver());
        return true;
    }

    Optional<Kept> kept(FluxSource.Key key) {
        return Optional.ofNullable(kept.get(key));
    }

    List<Kept> all() {
        return List.copyOf(kept.values());
    }

    /**
     * Removes Receivers the agent labelled in an earlier life whose source is gone or no longer of the instance:
     * called once the sources were listed. Returns how many.
     */
    int dropStrays() {
        Set<String> wanted = new HashSet<>();
        for (Kept k : kept.values()) wanted.add(k.source().namespace() + "/" + k.receiver());
        int dropped = 0;
        for (GenericKubernetesResource r : client.genericKubernetesResources(RECEIVER).inAnyNamespace()
                .withLabel(MANAGED_BY, FIELD_MANAGER).list().getItems()) {
            String ns = r.getMetadata().getNamespace();
            if (wanted.contains(ns + "/" + r.getMetadata().getName())) continue;
            delete(ns, r.getMetadata().getName());
            dropped++;
        }
        return dropped;
    }

    private void delete(String namespace, String name) {
        client.genericKubernetesResources(RECEIVER).inNamespace(namespace).withName(name).delete();
        client.secrets().inNamespace(namespace).withName(name).delete();
    }

    /**
     * Flux's rule ({@code notification-controller}, {@code Receiver.GetWebhookPath}): the hook path is
     * {@code /hook/} and the hex SHA-256 of token, name and namespace, written together.
     */
    static String hookPath(String token, String name, String namespace) {
        return "/hook/" + Hashes.sha256(token + name + namespace);
    }

    /**
     * {@code kastor-<git|oci>-<source name>}; past Kubernetes' 253 characters, cut and ended with a hash of the whole
     * so two long names stay apart.
     */
    static String receiverName(FluxSource source) {
        String name = "kastor-" + source.kind().word + "-" + source.name();
        if (name.length() <= MAX_NAME) return name;
        return name.substring(0, MAX_NAME - 9) + "-" + Hashes.sha256(name).substring(0, 8);
    }

    private Optional<String> existingToken(String namespace, String name) {
        Secret s = client.secrets().inNamespace(namespace).withName(name).get();
        if (s == null || s.getData() == null || s.getData().get(TOKEN_KEY) == null) return Optional.empty();
        String token = new String(Base64.getDecoder().decode(s.getData().get(TOKEN_KEY)), StandardCharsets.UTF_8);
        return token.isBlank() ? Optional.empty() : Optional.of(token);
    }

    private static String newToken() {
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    }

    /** Only this label: a source's name (up to 253 characters) does not fit a label value (63). */
    private static Map<String, String> labels() {
        return Map.of(MANAGED_BY, FIELD_MANAGER);
    }

    private static Secret secret(FluxSource source, String name, String token) {
        return new SecretBuilder().withNewMetadata().withName(name).withNamespace(source.namespace()).withLabels(labels())
                .withOwnerReferences(owner(source)).endMetadata()
                .withType("Opaque")
                .withData(Map.of(TOKEN_KEY, Base64.getEncoder().encodeToString(token.getBytes(StandardCharsets.UTF_8)))).build();
    }

    private static GenericKubernetesResource receiver(FluxSource source, String name) {
        Map<String, Object> resource = Map.of("apiVersion", source.kind().apiVersion(), "kind", source.kind().kind, "name", source.name());
        return new GenericKubernetesResourceBuilder().withApiVersion(RECEIVER.getGroup() + "/" + RECEIVER.getVersion())
                .withKind(RECEIVER.getKind())
                .withNewMetadata().withName(name).withNamespace(source.namespace()).withLabels(labels())
                .withOwnerReferences(owner(source)).endMetadata()
                .addToAdditionalProperties("spec", Map.of("type", "generic", "secretRef", Map.of("name", name), "resources", List.of(resource)))
                .build();
    }

    private static OwnerReference owner(FluxSource source) {
        return new OwnerReferenceBuilder().withApiVersion(source.kind().apiVersion()).withKind(source.kind().kind)
                .withName(source.name()).withUid(source.uid()).build();
    }
}
