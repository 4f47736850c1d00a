package dev.kastor.bridge.tunnel.agent;

import dev.kastor.bridge.module.AgentTimers;
import dev.kastor.bridge.module.Backoff;
import dev.kastor.bridge.tunnel.TunnelDefaults;
import dev.kastor.bridge.tunnel.rpc.ReverseTunnelGrpc;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The agent's pool of idle tunnel streams to KAS: at least {@code minIdle} idle, at most {@code max} in all,
 * growing {@code growBy} at a time when requests take idle streams; idle streams above the minimum expire.
 * When streams fail before they were used (KAS down, network gone), new ones are opened after an exponential
 * backoff with jitter, so an agent neither hammers KAS nor waits long once it is back.
 */
public final class TunnelPool implements AutoCloseable, AgentTunnel.Events {
    private final ReverseTunnelGrpc.ReverseTunnelStub stub;
    private final ManagedChannel channel;
    private final RequestHandler handler;
    private final PoolSettings settings;
    private final String version;
    private final ScheduledExecutorService timer = AgentTimers.single("tunnel-pool");
    private final Set<AgentTunnel> idle = new HashSet<>();
    private final Set<AgentTunnel> busy = new HashSet<>();
    private int failures;
    private long notBefore;
    private boolean closed;

    public TunnelPool(ManagedChannel channel, RequestHandler handler, PoolSettings settings, String version) {
        this.channel = channel;
        // Tunnel callbacks only queue bytes or start a virtual thread, so they run on the transport thread: one hop less per frame.
        this.stub = ReverseTunnelGrpc.newStub(channel).withExecutor(Runnable::run).withOnReadyThreshold(TunnelDefaults.SEND_BUFFER);
        this.handler = handler;
        this.settings = settings;
        this.version = version;
    }

    public void start() {
        timer.scheduleWithFixedDelay(this::maintain, 0, 200, TimeUnit.MILLISECONDS);
    }

    public synchronized int idleStreams() {
        return idle.size();
    }

    public synchronized int busyStreams() {
        return busy.size();
    }

    private void maintain() {
        try {
            maintainNow();
        } catch (RuntimeException e) {
            // A failure here must not end the schedule: it also gives up stalled streams and refills the pool.
        }
    }

    private synchronized void maintainNow() {
        if (closed) return;
        long now = System.nanoTime();
        if (failures > 0 && channel.getState(false) == ConnectivityState.READY && now >= notBefore) failures = 0;
        for (AgentTunnel t : Set.copyOf(busy)) t.cancelIfStalled(now); // a copy: cancelling may end the tunnel right here
        int expirable = idle.size() - settings.minIdle();
        for (AgentTunnel t : Set.copyOf(idle)) {
            if (expirable <= 0) break;
            if (now - t.openedAt() > settings.idleTimeout().toNanos()) {
                idle.remove(t);
                t.cancel("idle stream expired");
                expirable--;
            }
        }
        if (idle.size() < settings.minIdle() && now >= notBefore) {
            // gRPC's own wait between connection attempts grows to 2 minutes while KAS is away; the agent's backoff
            // (1-20 s) is the one that says when to try again, so a KAS back after a long outage is found within it.
            if (failures > 0 && channel.getState(false) == ConnectivityState.TRANSIENT_FAILURE) channel.resetConnectBackoff();
            grow();
        }
    }

    private void grow() {
        int room = settings.max() - idle.size() - busy.size();
        int want = Math.min(room, Math.max(settings.minIdle() - idle.size(), failures > 0 ? 1 : settings.growBy()));
        if (idle.size() + busy.size() == 0) want = Math.min(room, failures > 0 ? 1 : settings.minIdle());
        for (int i = 0; i < want; i++) {
            var t = new AgentTunnel(version, handler, this, settings.sendStall());
            idle.add(t);
            stub.connect(t);
            t.hello();
        }
    }

    @Override
    public synchronized void busy(AgentTunnel t) {
        idle.remove(t);
        busy.add(t);
        // Opening streams here would put them on the transport thread that just received the request, and their
        // frames ahead of its answer on the connection: the pool's own thread opens them, at once.
        if (idle.size() < settings.minIdle() && !closed) {
            try {
                timer.execute(this::maintain);
            } catch (RejectedExecutionException stopping) {
                // the agent is stopping: no new streams
            }
        }
    }

    @Override
    public synchronized void ended(AgentTunnel t, Throwable error) {
        boolean wasIdle = idle.remove(t);
        busy.remove(t);
        if (wasIdle && error != null && !closed) {
            failures++;
            long delay = new Backoff(settings.backoffMin(), settings.backoffMax()).delayMillis(failures);
            notBefore = Math.max(notBefore, System.nanoTime() + Duration.ofMillis(delay).toNanos());
        }
    }

    @Override
    public void close() {
        Set<AgentTunnel> all;
        synchronized (this) {
            closed = true;
            all = new HashSet<>(idle);
        }
        timer.shutdownNow();
        all.forEach(t -> t.cancel("agent stopping"));
    }
}
