package dev.kastor.bridge.receptive.server;

import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.bridge.module.Backoff;
import dev.kastor.bridge.module.KasContext;
import dev.kastor.bridge.module.KasModule;
import dev.kastor.bridge.module.LocalAgentPort;
import dev.kastor.bridge.module.Parts;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.bridge.observability.PrometheusText;
import dev.kastor.bridge.receptive.ReceptiveDefaults;
import io.grpc.netty.shaded.io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The receptive feature's KAS half: dials every agent of {@code receptive_agents} ({@link AgentDialer}) once KAS is up,
 * and serves each one's connections with KAS's agent services on an in-process address of its own, where only that
 * agent's token passes ({@link DialedAgentCheck}). An agent KAS cannot reach does not make KAS unready (the other
 * agents and jobs are fine): {@code /readyz} notes it, and {@code /metrics} has
 * {@code kastor_receptive_agent_connected} and {@code kastor_receptive_agent_dial_failures_total} per agent.
 */
public final class ReceptiveServerModule implements KasModule {
    private static final String NAME = "receptive";
    private final List<AgentDialer> dialers;
    /** Null when no agent is listed (then there is nothing to dial). */
    private final AgentDialer.Loops loops;
    private final Parts parts;
    private final JsonLog log;
    private final List<AutoCloseable> servers = new ArrayList<>();

    private ReceptiveServerModule(List<AgentDialer> dialers, AgentDialer.Loops loops, Parts parts, JsonLog log) {
        this.dialers = dialers;
        this.loops = loops;
        this.parts = parts;
        this.log = log;
    }

    public static KasModule create(KasContext context) throws IOException {
        var section = context.config().receptiveAgents();
        // Most KAS dial no agent: no event loops (each NIO loop opens a selector) until one is listed.
        if (section.agents().isEmpty()) return new ReceptiveServerModule(List.of(), null, context.parts(), context.log());
        var loops = new AgentDialer.Loops(new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory()),
                new DefaultEventLoopGroup(0, Thread.ofPlatform().name("receptive-relay").daemon().factory()));
        var backoff = new Backoff(ReceptiveDefaults.BACKOFF_MIN, ReceptiveDefaults.BACKOFF_MAX);
        var dialers = new ArrayList<AgentDialer>();
        for (var agent : section.agents()) {
            dialers.add(new AgentDialer(agent.id(), URI.create(agent.url()), clientTls(section, agent), loops, backoff, context.log()));
        }
        return new ReceptiveServerModule(List.copyOf(dialers), loops, context.parts(), context.log());
    }

    /** KAS's client certificate, and the agent's CA (else the system's), with the agent's host name checked. */
    private static SslContext clientTls(KasConfig.ReceptiveAgents section, KasConfig.ReceptiveAgent agent) throws IOException {
        var b = SslContextBuilder.forClient()
                .keyManager(new File(section.clientCertificateFile()), new File(section.clientKeyFile()))
                .endpointIdentificationAlgorithm("HTTPS");
        if (agent.caCertificateFile() != null) b.trustManager(new File(agent.caCertificateFile()));
        return b.build();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void start() throws IOException {
        if (dialers.isEmpty()) return;
        var port = parts.require(LocalAgentPort.class, NAME);
        for (var d : dialers) {
            servers.add(port.serve(d.localServer(), new DialedAgentCheck(d.agentId(), d.url().toString(), log)));
            d.start();
        }
    }

    /** Unreachable agents, one after the other; KAS stays ready. */
    @Override
    public Optional<String> readyzNote() {
        var down = dialers.stream().map(AgentDialer::unreachable).flatMap(Optional::stream).collect(Collectors.joining("; "));
        return down.isEmpty() ? Optional.empty() : Optional.of(down);
    }

    @Override
    public String prometheus() {
        if (dialers.isEmpty()) return "";
        var text = new PrometheusText().family("kastor_receptive_agent_connected", "gauge",
                "Whether KAS holds a connection to the receptive agent (1) or cannot reach it (0).");
        for (var d : dialers) text.sample("kastor_receptive_agent_connected", "agent_id", d.agentId(), d.connectedNow() ? 1 : 0);
        text.family("kastor_receptive_agent_dial_failures_total", "counter", "Dials of a receptive agent that failed (TCP connection or TLS handshake).");
        for (var d : dialers) text.sample("kastor_receptive_agent_dial_failures_total", "agent_id", d.agentId(), d.dialFailures());
        return text.toString();
    }

    @Override
    public void close() {
        dialers.forEach(AgentDialer::close);
        for (var server : servers) {
            try {
                server.close();
            } catch (Exception ignored) {
                // stopping anyway
            }
        }
        if (loops == null) return;
        loops.tls().shutdownGracefully(0, 2, TimeUnit.SECONDS);
        loops.local().shutdownGracefully(0, 2, TimeUnit.SECONDS);
    }
}
