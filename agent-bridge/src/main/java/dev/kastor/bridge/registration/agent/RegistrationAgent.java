package dev.kastor.bridge.registration.agent;

import dev.kastor.bridge.kubeapi.agent.KubeApiUpstream;
import dev.kastor.bridge.module.AgentContext;
import dev.kastor.bridge.module.AgentModule;
import dev.kastor.bridge.module.AgentTimers;
import dev.kastor.bridge.module.Backoff;
import dev.kastor.bridge.observability.Causes;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.bridge.registration.RegistrationDefaults;
import dev.kastor.bridge.registration.rpc.AgentMeta;
import dev.kastor.bridge.registration.rpc.AgentRegistrationGrpc;
import dev.kastor.bridge.registration.rpc.KubernetesVersion;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.URI;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import javax.net.ssl.HttpsURLConnection;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The agent half of registration: tells KAS this agent's version, pod and Kubernetes version at start and every
 * {@link RegistrationSettings#period()}, retrying with exponential backoff and jitter while KAS cannot be reached.
 * The Kubernetes version is asked from the API server each time (clusters get upgraded under running agents); when
 * that fails the agent still registers, with the version left empty.
 */
public final class RegistrationAgent implements AgentModule {
    private static final String NAME = "registration";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final KubeApiUpstream upstream;
    private final String version;
    private final RegistrationSettings settings;
    private final JsonLog log;
    private final Function<String, String> env;
    /** Random per agent process, so KAS tells two pods of one agent (one token) apart. */
    private final String instanceId = UUID.randomUUID().toString();
    private final ScheduledExecutorService timer = AgentTimers.single("registration");
    private AgentRegistrationGrpc.AgentRegistrationBlockingStub stub;
    private int failures;
    private AgentMeta lastMeta;
    private long lastMetaAt;

    /** Registers with the agent's {@link KubeApiUpstream} (for the cluster's version), as often as the tuned settings say. */
    public static AgentModule create(AgentContext context) {
        return new RegistrationAgent(context.parts().require(KubeApiUpstream.class, NAME), context.version(),
                context.tunings().or(RegistrationSettings.defaults()), context.log(), System::getenv);
    }

    RegistrationAgent(KubeApiUpstream upstream, String version, RegistrationSettings settings, JsonLog log, Function<String, String> env) {
        this.upstream = upstream;
        this.version = version;
        this.settings = settings;
        this.log = log;
        this.env = env;
    }

    @Override
    public String name() {
        return NAME;
    }

    public String instanceId() {
        return instanceId;
    }

    @Override
    public void start(ManagedChannel kas) {
        stub = AgentRegistrationGrpc.newBlockingStub(kas);
        timer.execute(this::registerOnce);
    }

    private void registerOnce() {
        long delayMillis;
        try {
            var response = stub.withDeadlineAfter(RegistrationDefaults.VERSION_TIMEOUT.toMillis() * 3, TimeUnit.MILLISECONDS).register(nextMeta());
            if (failures > 0) log.info("agent registered again", Map.of("agent_id", response.getAgentId()));
            failures = 0;
            delayMillis = settings.period().toMillis();
        } catch (RuntimeException e) {
            // StatusRuntimeException from KAS, or anything else: the next attempt must be scheduled either way.
            failures++;
            delayMillis = new Backoff(settings.backoffMin(), settings.backoffMax()).delayMillis(failures);
            log.warn("agent registration failed, retrying", Map.of("error", Causes.describe(e),
                    "retry_in_ms", delayMillis));
        }
        if (!timer.isShutdown()) {
            try {
                timer.schedule(this::registerOnce, delayMillis, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException ignored) {
                // closing
            }
        }
    }

    /**
     * What to register with: read afresh after a registration went through, the last one again while retrying within a
     * period of it (while KAS is away, each retry would otherwise ask the API server again for a version that does not
     * change in minutes; a whole fleet retries at once when KAS restarts).
     */
    private AgentMeta nextMeta() {
        long now = System.nanoTime();
        if (lastMeta == null || failures == 0 || now - lastMetaAt > settings.period().toNanos()) {
            lastMeta = meta();
            lastMetaAt = now;
        }
        return lastMeta;
    }

    AgentMeta meta() {
        return AgentMeta.newBuilder()
                .setVersion(version)
                .setCommit(commit())
                .setPodName(blankIfNull(env.apply(RegistrationDefaults.POD_NAME_ENV)))
                .setPodNamespace(blankIfNull(env.apply(RegistrationDefaults.POD_NAMESPACE_ENV)))
                .setKubernetesVersion(kubernetesVersion())
                .setInstanceId(instanceId)
                .build();
    }

    /**
     * {@code GET /version} on the API server, with the agent's own credentials; empty when it cannot be asked. A plain
     * connection per registration: asked every 5 minutes, an HTTP client kept in between would hold a selector thread
     * and its descriptors idle (one per agent where a process runs thousands), and one made per call holds them until
     * it is collected.
     */
    KubernetesVersion kubernetesVersion() {
        URI uri = URI.create(upstream.url().toString().replaceAll("/+$", "") + "/version");
        HttpURLConnection c = null;
        try {
            c = (HttpURLConnection) uri.toURL().openConnection(Proxy.NO_PROXY);
            if (c instanceof HttpsURLConnection https && upstream.tls() != null) https.setSSLSocketFactory(upstream.tls().getSocketFactory());
            c.setConnectTimeout((int) RegistrationDefaults.VERSION_TIMEOUT.toMillis());
            c.setReadTimeout((int) RegistrationDefaults.VERSION_TIMEOUT.toMillis());
            c.setRequestProperty("Accept", "application/json");
            String token = upstream.bearerToken() == null ? null : upstream.bearerToken().get();
            if (token != null && !token.isEmpty()) c.setRequestProperty("Authorization", "Bearer " + token);
            int status = c.getResponseCode();
            if (status != 200) {
                log.warn("cannot read the Kubernetes version, registering without it", Map.of("url", uri.toString(), "status", status));
                return KubernetesVersion.getDefaultInstance();
            }
            JsonNode v;
            try (InputStream in = c.getInputStream()) {
                v = JSON.readTree(in.readNBytes(RegistrationDefaults.MAX_VERSION_BYTES));
            }
            return KubernetesVersion.newBuilder()
                    .setGitVersion(v.path("gitVersion").asString(""))
                    .setMajor(v.path("major").asString(""))
                    .setMinor(v.path("minor").asString(""))
                    .build();
        } catch (IOException | RuntimeException e) {
            log.warn("cannot read the Kubernetes version, registering without it", Map.of("url", uri.toString(), "error", Causes.describe(e)));
            return KubernetesVersion.getDefaultInstance();
        } finally {
            if (c != null) c.disconnect();
        }
    }

    /** The commit the jar was built from, when the build recorded one ({@code commit} in version.properties). */
    private static String commit() {
        var p = new Properties();
        try (InputStream in = RegistrationAgent.class.getResourceAsStream("/dev/kastor/bridge/version.properties")) {
            if (in != null) p.load(in);
        } catch (IOException e) {
            return "";
        }
        String c = p.getProperty("commit", "");
        return c.startsWith("${") ? "" : c;
    }

    private static String blankIfNull(String s) {
        return s == null ? "" : s.trim();
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
