package dev.kastor.bridge;

import dev.kastor.bridge.agentapp.Agent;
import dev.kastor.bridge.agentapp.InClusterUpstream;
import dev.kastor.bridge.observability.Causes;
import dev.kastor.bridge.tunnel.agent.PoolSettings;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Entry point of {@code kastor-agent}, the in-cluster bridge that dials out to KAS. */
@Command(name = "kastor-agent", mixinStandardHelpOptions = true, versionProvider = Launch.Version.class,
        description = "Kastor's in-cluster agent: dials out to KAS (no inbound port) and serves CI jobs' Kubernetes API requests"
                + " against this cluster's API server (service account in a pod, else the kubeconfig).")
public final class AgentMain implements Callable<Integer> {
    @Option(names = "--kas", required = true, description = "KAS agent address: grpc://host:8150, grpcs://host:443, or gRPC over WebSocket for proxies"
            + " that cannot pass HTTP/2: ws://host:8150/any-path, wss://host/any-path (KAS needs listen.agent.websocket: true);"
            + " unix:///path.socket for a KAS on this host (listen.agent.network: unix)")
    URI kas;

    @Option(names = "--ca-file", description = "CA certificate(s) (PEM) to trust for grpcs:// and wss:// instead of the system ones")
    File caFile;

    @Option(names = "--token-file", description = "file holding the agent token (re-read on each connection)")
    File tokenFile;

    @Option(names = "--token-env", defaultValue = "KASTOR_AGENT_TOKEN", description = "environment variable holding the token when no --token-file (default: ${DEFAULT-VALUE})")
    String tokenEnv;

    @Option(names = "--kube-api-url", description = "Kubernetes API server to forward to (default: in-cluster, else the current kubeconfig context)")
    URI kubeApi;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String[] args) {
        return Launch.commandLine(new AgentMain()).execute(args);
    }

    @Override
    public Integer call() throws Exception {
        Supplier<String> token = token();
        token.get(); // fail at start, not on the first connection
        var upstream = InClusterUpstream.detect(kubeApi);
        try (var agent = Agent.start(kas, caFile, token, upstream, PoolSettings.defaults(), Launch.version())) {
            System.err.println("{\"level\":\"info\",\"component\":\"agent\",\"msg\":\"agent started\",\"kas\":\"" + kas
                    + "\",\"kube_api\":\"" + upstream.url() + "\"}");
            var stop = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
            stop.await();
        }
        return 0;
    }

    private Supplier<String> token() {
        if (tokenFile != null) {
            return () -> {
                try {
                    String t = Files.readString(tokenFile.toPath()).trim();
                    if (t.isEmpty()) throw new IllegalStateException("token file " + tokenFile + " is empty");
                    return t;
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read the agent token file " + tokenFile + ": " + Causes.describe(e), e);
                }
            };
        }
        String t = System.getenv(tokenEnv);
        if (t == null || t.isBlank()) {
            throw new IllegalStateException("no agent token: pass --token-file FILE or set " + tokenEnv
                    + " (the token 'kastor-kas agent register' printed)");
        }
        return t::trim;
    }
}
