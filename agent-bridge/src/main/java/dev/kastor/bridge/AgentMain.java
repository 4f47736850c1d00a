package dev.kastor.bridge;

import dev.kastor.bridge.agentapp.Agent;
import dev.kastor.bridge.agentapp.InClusterUpstream;
import dev.kastor.bridge.listener.ListenAddresses;
import dev.kastor.bridge.observability.Causes;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.bridge.receptive.agent.ListenSettings;
import dev.kastor.bridge.registration.agent.RegistrationSettings;
import dev.kastor.bridge.tunnel.agent.PoolSettings;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Option;

/** Entry point of {@code kastor-agent}, the in-cluster bridge that dials out to KAS, or that KAS dials (receptive). */
@Command(name = "kastor-agent", mixinStandardHelpOptions = true, versionProvider = Launch.Version.class,
        description = "Kastor's in-cluster agent: dials out to KAS (no inbound port) and serves CI jobs' Kubernetes API requests"
                + " against this cluster's API server (service account in a pod, else the kubeconfig). A cluster that cannot dial out"
                + " lets KAS dial it instead (--listen: a receptive agent, docs/receptive-agents.md); an agent may do both.")
public final class AgentMain implements Callable<Integer> {
    @Option(names = "--kas", description = "KAS agent address: grpc://host:8150, grpcs://host:443, or gRPC over WebSocket for proxies"
            + " that cannot pass HTTP/2: ws://host:8150/any-path, wss://host/any-path (KAS needs listen.agent.websocket: true);"
            + " unix:///path.socket for a KAS on this host (listen.agent.network: unix)")
    URI kas;

    @Option(names = "--ca-file", description = "CA certificate(s) (PEM) to trust for grpcs:// and wss:// instead of the system ones")
    File caFile;

    @Option(names = "--token-file", description = "file holding the agent token (re-read on each connection)")
    File tokenFile;

    @Option(names = "--token-env", defaultValue = "KASTOR_AGENT_TOKEN", description = "environment variable holding the token when no --token-file (default: ${DEFAULT-VALUE})")
    String tokenEnv;

    @Option(names = "--listen", defaultValue = "${env:KASTOR_AGENT_LISTEN}", description = "also (or, without --kas, only) wait"
            + " for KAS to dial this agent at host:port, e.g. :8160 (a receptive agent: receptive_agents in KAS's config); TLS with"
            + " --listen-cert and --listen-key, only for callers with a client certificate of --listen-client-ca (env KASTOR_AGENT_LISTEN)")
    String listen;

    @Option(names = "--listen-cert", defaultValue = "${env:KASTOR_AGENT_LISTEN_CERT}", description = "TLS certificate (PEM) the agent"
            + " shows KAS on --listen (env KASTOR_AGENT_LISTEN_CERT)")
    File listenCert;

    @Option(names = "--listen-key", defaultValue = "${env:KASTOR_AGENT_LISTEN_KEY}", description = "private key (PEM) of --listen-cert"
            + " (env KASTOR_AGENT_LISTEN_KEY)")
    File listenKey;

    @Option(names = "--listen-client-ca", defaultValue = "${env:KASTOR_AGENT_LISTEN_CLIENT_CA}", description = "CA certificate (PEM) of"
            + " KAS's client certificate: callers without a certificate of this CA are refused (env KASTOR_AGENT_LISTEN_CLIENT_CA)")
    File listenClientCa;

    @Option(names = "--kube-api-url", description = "Kubernetes API server to forward to (default: in-cluster, else the current kubeconfig context)")
    URI kubeApi;

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String[] args) {
        return Launch.commandLine(new AgentMain()).execute(args);
    }

    @Override
    public Integer call() throws Exception {
        if (kas == null && listen == null) {
            throw new ParameterException(spec.commandLine(), "give --kas (the agent dials KAS), --listen (KAS dials the agent), or both");
        }
        Supplier<String> token = token();
        token.get(); // fail at start, not on the first connection
        var upstream = InClusterUpstream.detect(kubeApi);
        var agents = new ArrayList<Agent>();
        try {
            if (kas != null) agents.add(Agent.start(kas, caFile, token, upstream, PoolSettings.defaults(), Launch.version()));
            if (listen != null) agents.add(Agent.receptive(listenSettings(), token, upstream, PoolSettings.defaults(), Launch.version(),
                    RegistrationSettings.defaults(), new JsonLog(System.err, "agent")));
            System.err.println("{\"level\":\"info\",\"component\":\"agent\",\"msg\":\"agent started\",\"kas\":\"" + (kas == null ? "" : kas)
                    + "\",\"listen\":\"" + (listen == null ? "" : listen) + "\",\"kube_api\":\"" + upstream.url() + "\"}");
            var stop = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
            stop.await();
        } finally {
            agents.reversed().forEach(Agent::close);
        }
        return 0;
    }

    private ListenSettings listenSettings() {
        return new ListenSettings(ListenAddresses.inet(listen, "--listen"), listenCert, listenKey, listenClientCa);
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
