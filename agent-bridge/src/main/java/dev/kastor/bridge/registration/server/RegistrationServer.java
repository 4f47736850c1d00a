package dev.kastor.bridge.registration.server;

import dev.kastor.bridge.agents.AgentStore;
import dev.kastor.bridge.api.ApiEndpoint;
import dev.kastor.bridge.api.ApiRequest;
import dev.kastor.bridge.api.ApiResponse;
import dev.kastor.bridge.module.KasContext;
import dev.kastor.bridge.module.KasModule;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.bridge.observability.PrometheusText;
import dev.kastor.bridge.registration.RegistrationDefaults;
import dev.kastor.bridge.registration.rpc.AgentMeta;
import dev.kastor.bridge.registration.rpc.AgentRegistrationGrpc;
import dev.kastor.bridge.registration.rpc.RegisterResponse;
import dev.kastor.bridge.routing.server.AgentReplicas;
import dev.kastor.bridge.routing.server.SharedRegistrations;
import dev.kastor.bridge.tunnel.server.AgentAuthInterceptor;
import io.grpc.BindableService;
import io.grpc.stub.StreamObserver;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The KAS half of registration: keeps the last registration of every agent instance in memory (an instance not
 * heard of for {@link RegistrationDefaults#FORGET_AFTER} is forgotten), logs it, exports
 * {@code kastor_agent_info}, and answers {@code GET /api/v1/agents} on the API port.
 *
 * <p>{@code /api/v1/agents} is for operators: callers send {@code Authorization: Bearer <api_secret_key>} (the
 * base64 text of the configured key). The decoded bytes are compared in constant time, and the header is never logged.
 */
public final class RegistrationServer implements KasModule {

    /** One agent process's last registration. */
    public record Instance(long agentId, AgentMeta meta, Instant lastSeen) {}

    private record Key(long agentId, String instanceId) {}

    private final AgentStore agents;
    private final JsonLog log;
    private final byte[] apiSecret;
    private final Clock clock;
    private final Duration forgetAfter;
    private final Map<Key, Instance> instances = new ConcurrentHashMap<>();
    private final Optional<SharedRegistrations> shared;

    public static KasModule create(KasContext context) {
        var server = new RegistrationServer(context.agents(), context.log(), context.config().apiSecretKey(), Clock.systemUTC(),
                RegistrationDefaults.FORGET_AFTER, context.parts().find(SharedRegistrations.class));
        context.parts().provide(RegistrationServer.class, server, "registration"); // the status page lists the instances
        return server;
    }

    RegistrationServer(AgentStore agents, JsonLog log, String apiSecretKey, Clock clock, Duration forgetAfter) {
        this(agents, log, apiSecretKey, clock, forgetAfter, Optional.empty());
    }

    /** {@code shared}: the replicas' shared registrations, with several replicas; each registration is written there too. */
    RegistrationServer(AgentStore agents, JsonLog log, String apiSecretKey, Clock clock, Duration forgetAfter, Optional<SharedRegistrations> shared) {
        this.shared = shared;
        this.agents = agents;
        this.log = log;
        this.apiSecret = Base64.getDecoder().decode(apiSecretKey);
        this.clock = clock;
        this.forgetAfter = forgetAfter;
    }

    @Override
    public String name() {
        return "registration";
    }

    @Override
    public List<BindableService> agentServices() {
        return List.of(new AgentRegistrationGrpc.AgentRegistrationImplBase() {
            @Override
            public void register(AgentMeta meta, StreamObserver<RegisterResponse> response) {
                long id = AgentAuthInterceptor.agentId();
                registered(id, meta);
                response.onNext(RegisterResponse.newBuilder().setAgentId(id).build());
                response.onCompleted();
            }
        });
    }

    void registered(long agentId, AgentMeta meta) {
        Instant now = clock.instant();
        instances.put(new Key(agentId, meta.getInstanceId()), new Instance(agentId, meta, now));
        shared.ifPresent(s -> s.put(agentId, meta.getInstanceId(), encode(now, meta), forgetAfter));
        var fields = new LinkedHashMap<String, Object>();
        fields.put("agent_id", agentId);
        fields.put("instance_id", meta.getInstanceId());
        fields.put("agent_version", meta.getVersion());
        if (!meta.getCommit().isEmpty()) fields.put("commit", meta.getCommit());
        fields.put("pod_name", meta.getPodName());
        fields.put("pod_namespace", meta.getPodNamespace());
        fields.put("kubernetes_version", meta.getKubernetesVersion().getGitVersion());
        log.info("agent registered", fields);
    }

    /** Instances heard of within {@code forgetAfter}, oldest registration first; older ones are dropped here. */
    public List<Instance> instances() {
        Instant cutoff = clock.instant().minus(forgetAfter);
        instances.values().removeIf(i -> i.lastSeen().isBefore(cutoff));
        return instances.values().stream().sorted(Comparator.comparing(Instance::lastSeen)).toList();
    }

    /**
     * One agent's instances heard of within {@code forgetAfter}, oldest registration first: with several replicas and
     * {@code elsewhere}, also those that registered with another replica (from Redis; this replica's alone when Redis
     * cannot be asked).
     */
    public List<Instance> instances(long agentId, boolean elsewhere) {
        Instant cutoff = clock.instant().minus(forgetAfter);
        var byInstance = new java.util.HashMap<String, Instance>();
        for (Instance i : instances.values()) {
            if (i.agentId() == agentId && !i.lastSeen().isBefore(cutoff)) byInstance.put(i.meta().getInstanceId(), i);
        }
        if (elsewhere && shared.isPresent()) {
            Map<String, String> values;
            try {
                values = shared.get().of(agentId);
            } catch (AgentReplicas.Unreachable e) {
                values = Map.of();
            }
            values.forEach((instanceId, value) -> decode(agentId, value).filter(i -> !i.lastSeen().isBefore(cutoff))
                    .ifPresent(i -> byInstance.merge(instanceId, i, (a, b) -> a.lastSeen().isAfter(b.lastSeen()) ? a : b)));
        }
        return byInstance.values().stream().sorted(Comparator.comparing(Instance::lastSeen)).toList();
    }

    /** How a registration is shared with the other replicas: {@code <epoch millis> <base64 of the AgentMeta>}. */
    private static String encode(Instant at, AgentMeta meta) {
        return at.toEpochMilli() + " " + Base64.getEncoder().encodeToString(meta.toByteArray());
    }

    /** A shared registration ({@link #encode}); empty when the value is not one. */
    private static Optional<Instance> decode(long agentId, String value) {
        int space = value.indexOf(' ');
        try {
            return Optional.of(new Instance(agentId, AgentMeta.parseFrom(Base64.getDecoder().decode(value.substring(space + 1))),
                    Instant.ofEpochMilli(Long.parseLong(value.substring(0, space)))));
        } catch (IllegalArgumentException | IndexOutOfBoundsException | com.google.protobuf.InvalidProtocolBufferException e) {
            return Optional.empty(); // written by something else: not a registration
        }
    }

    @Override
    public Map<String, ApiEndpoint> apiEndpoints() {
        return Map.of(RegistrationDefaults.AGENTS_PATH, this::handleAgents);
    }

    @Override
    public String prometheus() {
        var counts = new TreeMap<String, Integer>();
        for (Instance i : instances()) {
            String labels = "agent_id=\"" + i.agentId() + "\",version=\"" + label(i.meta().getVersion()) + "\",kubernetes_version=\""
                    + label(i.meta().getKubernetesVersion().getGitVersion()) + "\"";
            counts.merge(labels, 1, Integer::sum);
        }
        var text = new PrometheusText().family("kastor_agent_info", "gauge",
                "Registered agent instances by agent, agent version and Kubernetes version.");
        counts.forEach((labels, n) -> text.sample("kastor_agent_info", labels, n));
        return text.toString();
    }

    private static String label(String v) {
        return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    private ApiResponse handleAgents(ApiRequest request) {
        if (!authorized(request.header("Authorization"))) {
            return ApiResponse.message(401, "send 'Authorization: Bearer <api_secret_key>' (the base64 key of the KAS config's "
                    + "api_secret_key or api_secret_key_file)").withHeader("WWW-Authenticate", "Bearer");
        }
        if (!request.method().equals("GET")) return ApiResponse.message(405, "use GET");
        var byAgent = new LinkedHashMap<Long, List<Map<String, Object>>>();
        for (Instance i : instances()) byAgent.computeIfAbsent(i.agentId(), k -> new ArrayList<>()).add(json(i));
        var list = new ArrayList<Map<String, Object>>();
        for (AgentStore.Agent a : agents.list()) {
            if (!a.active()) continue;
            var m = new LinkedHashMap<String, Object>();
            m.put("id", a.id());
            m.put("name", a.name());
            m.put("config_project", a.configProject());
            m.put("instances", byAgent.getOrDefault(a.id(), List.of()));
            list.add(m);
        }
        return ApiResponse.json(200, Map.of("agents", list));
    }

    private static Map<String, Object> json(Instance i) {
        var m = new LinkedHashMap<String, Object>();
        AgentMeta meta = i.meta();
        m.put("instance_id", meta.getInstanceId());
        m.put("pod_name", meta.getPodName());
        m.put("pod_namespace", meta.getPodNamespace());
        m.put("agent_version", meta.getVersion());
        m.put("commit", meta.getCommit());
        var k = new LinkedHashMap<String, Object>();
        k.put("git_version", meta.getKubernetesVersion().getGitVersion());
        k.put("major", meta.getKubernetesVersion().getMajor());
        k.put("minor", meta.getKubernetesVersion().getMinor());
        m.put("kubernetes_version", k);
        m.put("last_seen", i.lastSeen().toString());
        return m;
    }

    /** Constant time over the decoded key, so neither the length of a match nor its position leaks. */
    private boolean authorized(String header) {
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) return false;
        byte[] presented;
        try {
            presented = Base64.getDecoder().decode(header.substring(7).trim());
        } catch (IllegalArgumentException e) {
            return false;
        }
        return MessageDigest.isEqual(presented, apiSecret);
    }
}
