package dev.kastor.bridge.receptive.agent;

import dev.kastor.bridge.receptive.Splice;
import io.grpc.netty.shaded.io.netty.channel.Channel;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.TimeUnit;

/**
 * Matches connections from KAS (TLS, authenticated) with the local connections the agent's gRPC channel opens, oldest
 * first, and splices each pair. A connection from KAS waits until the channel needs one; a local connection waits
 * {@code waitForKas} for KAS and is then closed, so the channel retries instead of hanging on a transport that is not
 * there. Both queues hold open connections only.
 */
final class Pairing {
    private final Deque<io.netty.channel.Channel> fromKas = new ArrayDeque<>();
    private final Deque<Channel> fromGrpc = new ArrayDeque<>();
    private final Duration waitForKas;
    /** Told when a connection from KAS waits with no local connection to take it (the channel may be backing off). */
    private volatile Runnable kasWaiting = () -> {};

    Pairing(Duration waitForKas) {
        this.waitForKas = waitForKas;
    }

    void onKasWaiting(Runnable kasWaiting) {
        this.kasWaiting = kasWaiting;
    }

    /** A connection from KAS whose handshake is done, auto-read off. */
    void kas(io.netty.channel.Channel tls) {
        Channel local;
        synchronized (this) {
            local = fromGrpc.poll();
            if (local == null) {
                fromKas.add(tls);
                tls.closeFuture().addListener(f -> forget(tls));
            }
        }
        if (local != null) {
            Splice.join(tls, local, null);
        } else {
            kasWaiting.run();
        }
    }

    /** A connection the gRPC channel opened, auto-read off. */
    void grpc(Channel local) {
        io.netty.channel.Channel tls;
        synchronized (this) {
            tls = fromKas.poll();
            if (tls == null) {
                fromGrpc.add(local);
                local.closeFuture().addListener(f -> forget(local));
                local.eventLoop().schedule(() -> giveUp(local), waitForKas.toMillis(), TimeUnit.MILLISECONDS);
            }
        }
        if (tls != null) Splice.join(tls, local, null);
    }

    private void giveUp(Channel local) {
        boolean waiting;
        synchronized (this) {
            waiting = fromGrpc.remove(local);
        }
        if (waiting) local.close();
    }

    private synchronized void forget(Object channel) {
        fromKas.remove(channel);
        fromGrpc.remove(channel);
    }
}
