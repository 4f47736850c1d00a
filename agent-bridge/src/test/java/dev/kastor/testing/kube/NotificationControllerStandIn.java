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
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Stand-in for Flux's notification-controller webhook receiver (no Flux controller runs here, see TESTING.md): a real
 * HTTP server that takes {@code POST /hook/<digest>} and finds the Receiver it belongs to the way Flux does, from the
 * Receivers and their token Secrets in the API stand-in: the digest must be the hex SHA-256 of the Secret's
 * {@code token}, the Receiver's name and its namespace, written together. A match is recorded and answered 200; any
 * other path 404, any other method 405. It does not reconcile anything (Flux would annotate the Receiver's resources).
 * Like Flux's controller it reads Receivers and Secrets from informer caches, never from the API server while it
 * answers: a call that reaches it through the API stand-in's service proxy holds that stand-in's only thread.
 * It keeps each call with the moment it came in ({@link Arrival}), and {@link #awaitCalls} waits for calls without
 * polling, so a benchmark can time a push up to the hook call it causes.
 */
public final class NotificationControllerStandIn implements AutoCloseable {
    private static final ResourceDefinitionContext RECEIVER = new ResourceDefinitionContext.Builder()
            .withGroup("notification.toolkit.fluxcd.io").withVersion("v1").withKind("Receiver").withPlural("receivers").withNamespaced(true).build();

    /** One accepted call: the Receiver it reached. */
    public record Call(String namespace, String receiver) {}

    /**
     * An accepted call and {@link System#nanoTime()} when its request came in (before the Receiver was looked up: what
     * the look-up costs is the stand-in's, not the caller's).
     */
    public record Arrival(Call call, long receivedNanos) {}

    private final SharedIndexInformer<GenericKubernetesResource> receivers;
    private final SharedIndexInformer<Secret> secrets;
    private final HttpServer server;
    private final List<Arrival> arrivals = new CopyOnWriteArrayList<>();
    private final List<String> refused = new CopyOnWriteArrayList<>();
    /** Notified on each accepted call, for {@link #awaitCalls}. */
    private final Object accepted = new Object();

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
        return arrivals.stream().map(Arrival::call).toList();
    }

    /**
     * Waits until {@code count} calls in all have reached a Receiver, and returns every one so far with when it came in.
     *
     * @throws TimeoutException when fewer came within {@code timeout}; the message lists those that came and those refused
     */
    public List<Arrival> awaitCalls(int count, Duration timeout) throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (accepted) {
            while (arrivals.size() < count) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new TimeoutException(count + " hook calls awaited for " + timeout + ", " + arrivals.size() + " came: " + calls()
                            + "; refused paths: " + refused);
                }
                TimeUnit.NANOSECONDS.timedWait(accepted, left);
            }
        }
        return List.copyOf(arrivals);
    }

    /**
     * The URL Flux serves the Receiver {@code namespace/receiver} at, made from its token Secret as a caller would
     * (for a direct call, the baseline of what a hook call costs); empty while this stand-in knows no such Receiver
     * with a token.
     */
    public Optional<URI> hookUrl(String namespace, String receiver) {
        var r = receivers.getStore().getByKey(namespace + "/" + receiver);
        return Optional.ofNullable(r).flatMap(this::token).map(token -> url().resolve("/hook/" + sha256Hex(token + receiver + namespace)));
    }

    /** Paths of calls that matched no Receiver. */
    public List<String> refused() {
        return List.copyOf(refused);
    }

    private void handle(HttpExchange exchange) throws IOException {
        long received = System.nanoTime();
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
            arrivals.add(new Arrival(call.get(), received));
            synchronized (accepted) {
                accepted.notifyAll();
            }
            exchange.sendResponseHeaders(200, -1);
        }
    }

    private Optional<Call> receiverOf(String digest) {
        for (GenericKubernetesResource r : receivers.getStore().list()) {
            String ns = r.getMetadata().getNamespace();
            String name = r.getMetadata().getName();
            var token = token(r);
            if (token.isPresent() && sha256Hex(token.get() + name + ns).equals(digest)) return Optional.of(new Call(ns, name));
        }
        return Optional.empty();
    }

    /** The token in the Secret the Receiver's {@code spec.secretRef} names, if both are there. */
    private Optional<String> token(GenericKubernetesResource receiver) {
        Object secretRef = ((Map<?, ?>) receiver.getAdditionalProperties().getOrDefault("spec", Map.of())).get("secretRef");
        if (!(secretRef instanceof Map<?, ?> ref)) return Optional.empty();
        Secret secret = secrets.getStore().getByKey(receiver.getMetadata().getNamespace() + "/" + ref.get("name"));
        if (secret == null || secret.getData() == null || secret.getData().get("token") == null) return Optional.empty();
        return Optional.of(new String(Base64.getDecoder().decode(secret.getData().get("token")), StandardCharsets.UTF_8));
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
