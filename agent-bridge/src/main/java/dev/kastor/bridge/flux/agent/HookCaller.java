package dev.kastor.bridge.flux.agent;

import dev.kastor.bridge.kubeapi.agent.KubeApiUpstream;
import dev.kastor.bridge.observability.Causes;
import dev.kastor.bridge.observability.JsonLog;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Calls Flux Receivers' webhooks: {@code POST <webhook_receiver_url>/hook/<digest>}, straight to the URL, or through
 * the API server with the agent's own credentials when the URL is a service proxy path. A failed call is tried again
 * a few times, then logged with its Receiver; calls run on their own threads and never hold up anything else. The
 * hook path is never logged: whoever knows it can make Flux reconcile.
 */
final class HookCaller implements AutoCloseable {
    private final KubeApiUpstream apiServer;
    private final Supplier<String> receiverUrl;
    private final FluxAgentTuning tuning;
    private final JsonLog log;
    private final HttpClient direct;
    private final HttpClient throughApiServer;
    private final ThreadPoolExecutor calls;

    HookCaller(KubeApiUpstream apiServer, Supplier<String> receiverUrl, FluxAgentTuning tuning, JsonLog log) {
        this.apiServer = apiServer;
        this.receiverUrl = receiverUrl;
        this.tuning = tuning;
        this.log = log;
        this.direct = HttpClient.newBuilder().connectTimeout(tuning.callTimeout()).build();
        var b = HttpClient.newBuilder().connectTimeout(tuning.callTimeout());
        if (apiServer.tls() != null) b.sslContext(apiServer.tls());
        this.throughApiServer = b.build();
        // Bounded: a burst of pushes while the receiver is down must not pile up calls without end.
        this.calls = new ThreadPoolExecutor(tuning.concurrentCalls(), tuning.concurrentCalls(), 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(tuning.queuedCalls()), Thread.ofPlatform().name("agent-flux-hook").daemon().factory());
        calls.allowCoreThreadTimeOut(true);
    }

    /** Calls the Receiver of {@code kept}, in the background; {@code why} says what was pushed, for the log. */
    void call(ReceiverKeeper.Kept kept, String why) {
        try {
            calls.execute(() -> attempt(kept, why));
        } catch (RejectedExecutionException e) {
            log.warn("Flux receiver not called: too many calls waiting", Map.of("receiver", where(kept), "push", why));
        }
    }

    private void attempt(ReceiverKeeper.Kept kept, String why) {
        String outcome = "";
        for (int attempt = 1; attempt <= tuning.attempts(); attempt++) {
            try {
                int status = post(kept.hookPath());
                if (status / 100 == 2) {
                    log.info("called Flux receiver", Map.of("receiver", where(kept), "source", kept.source().describe(), "push", why,
                            "attempt", attempt));
                    return;
                }
                outcome = "HTTP " + status;
            } catch (IOException | RuntimeException e) {
                // a runtime failure too (a URL the HTTP client refuses): a task that throws would vanish without a word
                outcome = Causes.describe(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (attempt < tuning.attempts() && !pause(attempt)) return;
        }
        log.warn("Flux receiver call failed; Flux will still reconcile at its spec.interval", Map.of("receiver", where(kept),
                "source", kept.source().describe(), "push", why, "attempts", tuning.attempts(), "error", outcome));
    }

    private int post(String hookPath) throws IOException, InterruptedException {
        String base = receiverUrl.get().replaceAll("/+$", "");
        boolean viaApiServer = base.startsWith("/");
        URI uri = URI.create(viaApiServer ? apiServer.url().toString().replaceAll("/+$", "") + base + hookPath : base + hookPath);
        var request = HttpRequest.newBuilder(uri).timeout(tuning.callTimeout()).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{}"));
        if (viaApiServer) request.header("Authorization", "Bearer " + apiServer.bearerToken().get());
        return (viaApiServer ? throughApiServer : direct).send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private boolean pause(int attempt) {
        try {
            Thread.sleep(tuning.retryDelay().toMillis() * attempt);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String where(ReceiverKeeper.Kept kept) {
        return kept.source().namespace() + "/" + kept.receiver();
    }

    @Override
    public void close() {
        calls.shutdownNow();
        direct.close();
        throughApiServer.close();
    }
}
