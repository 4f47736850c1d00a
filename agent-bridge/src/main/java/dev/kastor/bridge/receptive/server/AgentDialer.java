package dev.kastor.bridge.receptive.server;

import dev.kastor.bridge.module.Backoff;
import dev.kastor.bridge.observability.Causes;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.bridge.receptive.ReceptiveDefaults;
import dev.kastor.bridge.receptive.Splice;
import dev.kastor.bridge.receptive.TlsHandshake;
import io.grpc.netty.shaded.io.netty.channel.local.LocalAddress;
import io.grpc.netty.shaded.io.netty.channel.local.LocalChannel;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import java.net.URI;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Keeps KAS connected to one receptive agent: one spare TLS connection is always open or being dialled, so the agent's
 * gRPC client finds one whenever it needs a transport. When the agent starts using it (its first bytes, the HTTP/2
 * preface), it is relayed into {@link #localServer()} (KAS's agent services for this agent) and the next spare is
 * dialled. A dial that fails, or a spare the agent closes unused, is retried with {@link Backoff} (1 s to 20 s, with
 * jitter). The agent counts as connected while any connection to it is open.
 */
final class AgentDialer implements AutoCloseable {
    private final long agentId;
    private final URI url;
    private final SslContext tls;
    private final Loops loops;
    private final Backoff backoff;
    private final JsonLog log;
    private final LocalAddress localServer;

    /** TLS connections open to the agent (the spare and those in use); guarded by this. */
    private int open;
    /** Failures in a row (dial or spare lost unused), for the backoff; guarded by this. */
    private int failures;
    private long dialFailures;
    /** Since when no connection is open (KAS's start, at first), and the last error; null while connected. */
    private Instant downSince = Instant.now();
    private String lastError;
    private boolean closed;

    AgentDialer(long agentId, URI url, SslContext tls, Loops loops, Backoff backoff, JsonLog log) {
        this.agentId = agentId;
        this.url = url;
        this.tls = tls;
        this.loops = loops;
        this.backoff = backoff;
        this.log = log;
        this.localServer = new LocalAddress("kastor-kas-receptive-agent-" + agentId);
    }

    /** The event loops of the TLS connections (Netty) and of the local ones into gRPC (gRPC's Netty). */
    record Loops(EventLoopGroup tls, io.grpc.netty.shaded.io.netty.channel.EventLoopGroup local) {}

    long agentId() {
        return agentId;
    }

    URI url() {
        return url;
    }

    /** Where KAS serves its agent services for this agent's connections. */
    LocalAddress localServer() {
        return localServer;
    }

    void start() {
        dial();
    }

    private void dial() {
        new Bootstrap().group(loops.tls()).channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) ReceptiveDefaults.CONNECT_TIMEOUT.toMillis())
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(tls.newHandler(ch.alloc(), url.getHost(), url.getPort()));
                        ch.pipeline().addLast(new Spare());
                    }
                })
                .connect(url.getHost(), url.getPort())
                .addListener((ChannelFutureListener) f -> {
                    if (!f.isSuccess()) failed(f.cause());
                });
    }

    /** A connection whose handshake failed or that could not be made: counted, and dialled again after the backoff. */
    private void failed(Throwable cause) {
        boolean first;
        long delay;
        synchronized (this) {
            if (closed) return;
            dialFailures++;
            first = lastError == null && open == 0;
            lastError = Causes.describe(cause);
            delay = backoff.delayMillis(++failures);
        }
        if (first) log.warn("cannot reach receptive agent, retrying", Map.of("agent_id", agentId, "url", url.toString(), "error", lastError));
        retryIn(delay);
    }

    private void retryIn(long millis) {
        loops.tls().schedule(() -> {
            synchronized (this) {
                if (closed) return;
            }
            dial();
        }, millis, TimeUnit.MILLISECONDS);
    }

    private void connected(Channel ch) {
        boolean back;
        synchronized (this) {
            back = open == 0;
            open++;
            failures = 0;
            downSince = null;
            lastError = null;
        }
        if (back) log.info("connected to receptive agent", Map.of("agent_id", agentId, "url", url.toString()));
        ch.closeFuture().addListener(f -> disconnected());
    }

    private synchronized void disconnected() {
        if (--open == 0) downSince = Instant.now();
    }

    /** Whether a connection to the agent is open. */
    synchronized boolean connectedNow() {
        return open > 0;
    }

    synchronized long dialFailures() {
        return dialFailures;
    }

    /** Why the agent is not reachable and since when, or empty while it is. */
    synchronized Optional<String> unreachable() {
        if (open > 0) return Optional.empty();
        return Optional.of("agent " + agentId + " at " + url + " unreachable since " + downSince + ": "
                + (lastError == null ? "not connected yet" : lastError));
    }

    /** The connection's handler after TLS until the agent uses it. */
    private final class Spare extends TlsHandshake {
        private boolean handshaken;

        @Override
        protected void succeeded(ChannelHandlerContext ctx) {
            handshaken = true;
            connected(ctx.channel());
            ctx.read();
        }

        @Override
        protected void failed(ChannelHandlerContext ctx, Throwable cause) {
            AgentDialer.this.failed(cause);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.pipeline().remove(this);
            relay(ctx.channel(), (ByteBuf) msg);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            // the agent closed its spare before using it (it stopped, or refused KAS): dial again, after the backoff
            if (handshaken) spareLost();
        }
    }

    private void spareLost() {
        long delay;
        synchronized (this) {
            if (closed) return;
            delay = backoff.delayMillis(++failures);
        }
        retryIn(delay);
    }

    /** Relays {@code tls}, whose first bytes from the agent are {@code first}, into KAS's agent services for this agent. */
    private void relay(Channel tls, ByteBuf first) {
        dial();
        new io.grpc.netty.shaded.io.netty.bootstrap.Bootstrap().group(loops.local()).channel(LocalChannel.class)
                .option(io.grpc.netty.shaded.io.netty.channel.ChannelOption.AUTO_READ, false)
                .handler(new io.grpc.netty.shaded.io.netty.channel.ChannelInboundHandlerAdapter())
                .connect(localServer)
                .addListener((io.grpc.netty.shaded.io.netty.channel.ChannelFutureListener) f -> {
                    if (f.isSuccess()) {
                        Splice.join(tls, f.channel(), first);
                    } else {
                        first.release();
                        tls.close();
                        log.warn("cannot relay a receptive agent's connection into KAS", Map.of("agent_id", agentId, "error", Causes.describe(f.cause())));
                    }
                });
    }

    @Override
    public synchronized void close() {
        closed = true;
    }
}
