package dev.kastor.testing.kube;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Stand-in for Flux's notification-controller webhook receiver (no Flux controller runs here, see TESTING.md): a real
 * HTTP server that takes {@code POST /hook/<digest>} and finds the Receiver it belongs to the way Flux does, from the
 * Receivers and their token Secrets in the API stand-in: the digest must be the hex SHA-256 of the Secret's
 * {@code token}, the Receiver's name and its namespace, written together. A match is recorded and answered 200; any
 * other path 404, any other method 405. It does not reconcile anything (Flux would annotate the Receiver's resources).
 * Like Flux's controller it reads Receivers and Secrets from informer caches, never from the API server while it
 * answers: a call that reaches it through the API stand-in's service proxy holds that stand-in's only thread.
 */
public final class NotificationControllerStandIn implements AutoCloseable {
    private static final ResourceDefinitionContext RECEIVER = new ResourceDefinitionContext.Builder()
            .withGroup("notification.toolkit.fluxcd.io").withVersion("v1").withKind("Receiver").withPlural("receivers").withNamespaced(true).build();

    /** One accepted call: the Receiver it reached. */
    public record Call(String namespace, String receiver) {}

    private final SharedIndexInformer<GenericKubernetesResource> receivers;
    private final SharedIndexInformer<Secret> secrets;
    private final HttpServer server;
    private final List<Call> calls = new CopyOnWriteArrayList<>();
    private final List<String> refused = new CopyOnWriteArrayList<>();

    private NotificationControllerStandIn(KubernetesClient api) throws IOException {
        this.receivers = api.genericKubernetesResources(RECEIVER).inAnyNamespace().inform();
        this.secrets = api.secrets().inAnyNamespace().inform();
        this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    /** Serves hooks for the Receivers {@code api} holds. */
    public static NotificationControllerStandIn start(KubernetesClient api) {
        try {
            return new NotificationControllerStandIn(api);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** Calls that reached a Receiver, in order. */
    public List<Call> calls() {
        return List.copyOf(calls);
    }

    /** Paths of calls that matched no Receiver. */
    public List<String> refused() {
        return List.copyOf(refused);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            exchange.getRequestBody().readAllBytes();
            String path = exchange.getRequestURI().getPath();
            if (!exchange.getRequestMethod().equals("POST")) {
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            Optional<Call> call = path.startsWith("/hook/") ? receiverOf(path.substring("/hook/".length())) : Optional.empty();
            if (call.isEmpty()) {
                refused.add(path);
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            calls.add(call.get());
            exchange.sendResponseHeaders(200, -1);
        }
    }

    private Optional<Call> receiverOf(String digest) {
        for (GenericKubernetesResource r : receivers.getStore().list()) {
            String ns = r.getMetadata().getNamespace();
            String name = r.getMetadata().getName();
            Object secretRef = ((Map<?, ?>) r.getAdditionalProperties().getOrDefault("spec", Map.of())).get("secretRef");
            if (!(secretRef instanceof Map<?, ?> ref)) continue;
            Secret secret = secrets.getStore().getByKey(ns + "/" + ref.get("name"));
            if (secret == null || secret.getData() == null || secret.getData().get("token") == null) continue;
            String token = new String(Base64.getDecoder().decode(secret.getData().get("token")), StandardCharsets.UTF_8);
            if (sha256Hex(token + name + ns).equals(digest)) return Optional.of(new Call(ns, name));
        }
        return Optional.empty();
    }

    private static String sha256Hex(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        receivers.stop();
        secrets.stop();
    }
}
