package dev.kastor.bridge;

import dev.kastor.bridge.agentapp.Agent;
import dev.kastor.bridge.kasapp.Kas;
import dev.kastor.testing.Programs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The set-up most k8s-proxy tests share: an {@link Upstream} API server, KAS (a {@link Bridge}) and one agent connected
 * to it, allowed for one CI job. Register it as a static {@code @RegisterExtension} field: it starts before the class's
 * own {@code @BeforeAll} methods and stops after its {@code @AfterAll} ones, so those can still release what holds the
 * upstream (a gated watch) before it closes.
 */
public final class BridgeWithAgent implements BeforeAllCallback, AfterAllCallback {
    private final Callable<Upstream> upstreams;
    private final String jobToken;
    private final long jobId;
    private String clusterPath;
    private Kas.Tuning tuning;
    private Path dir;
    private Upstream upstream;
    private Bridge bridge;
    private Agent agent;
    private long agentId;

    /** {@code upstream} builds the API server (with its handlers); the agent serves the job {@code jobToken}/{@code jobId}. */
    public BridgeWithAgent(Callable<Upstream> upstream, String jobToken, long jobId) {
        this.upstreams = upstream;
        this.jobToken = jobToken;
        this.jobId = jobId;
    }

    /** The agent reaches its API server under {@code path} (a Rancher-style cluster prefix), not at its root. */
    public BridgeWithAgent under(String path) {
        this.clusterPath = path;
        return this;
    }

    /** KAS runs with {@code tuning} (bounds shortened for the test) instead of its defaults. */
    public BridgeWithAgent tuned(Kas.Tuning tuning) {
        this.tuning = tuning;
        return this;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        dir = Files.createTempDirectory("kastor-bridge-");
        upstream = upstreams.call();
        bridge = tuning == null ? new Bridge(dir) : Bridge.tuned(dir, tuning);
        var connected = bridge.connectAgent(jobToken, jobId, clusterPath == null ? upstream.url() : upstream.url().resolve(clusterPath));
        agent = connected.agent();
        agentId = connected.id();
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        Programs.closeAll(agent, bridge, upstream);
        if (dir == null) return;
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    public Bridge bridge() {
        return bridge;
    }

    public Upstream upstream() {
        return upstream;
    }

    public Agent agent() {
        return agent;
    }

    public long agentId() {
        return agentId;
    }
}
