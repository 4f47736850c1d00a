package dev.kastor.bridge.receptive.agent;

import dev.kastor.bridge.listener.NettyListener;
import dev.kastor.bridge.observability.Causes;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.bridge.observability.RefusalLog;
import dev.kastor.bridge.receptive.ReceptiveDefaults;
import io.grpc.netty.shaded.io.netty.bootstrap.ServerBootstrap;
import io.grpc.netty.shaded.io.netty.channel.ChannelInitializer;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.DefaultEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.local.LocalAddress;
import io.grpc.netty.shaded.io.netty.channel.local.LocalChannel;
import io.grpc.netty.shaded.io.netty.channel.local.LocalServerChannel;
import dev.kastor.bridge.receptive.TlsHandshake;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The agent's listener for KAS ({@code --listen}): TLS that requires a client certificate of {@code --listen-client-ca}
 * (KAS's), so a caller without one, or with one of another CA, fails the handshake, is logged with its address (at most
 * once a minute per host: {@link RefusalLog}) and closed before any byte reaches gRPC. Each authenticated connection waits to be the transport of the agent's gRPC
 * channel for this listener, which dials {@link #address()} in this process ({@link Pairing}). The handshake is bounded
 * in time and the connections per host in number.
 */
public final class ReceptiveListener implements AutoCloseable {
    private final EventLoopGroup local = new DefaultEventLoopGroup(1, Thread.ofPlatform().name("receptive-local").daemon().factory());
    private final LocalAddress address = new LocalAddress("kastor-receptive-" + UUID.randomUUID());
    private final Pairing pairing = new Pairing(ReceptiveDefaults.WAIT_FOR_KAS);
    private final JsonLog log;
    private final RefusalLog refusals;
    private NettyListener tls;
    private io.grpc.netty.shaded.io.netty.channel.Channel localServer;

    private ReceptiveListener(JsonLog log, Duration refusalLogInterval) {
        this.log = log;
        this.refusals = new RefusalLog(log, "refused a caller that did not present a client certificate of --listen-client-ca",
                refusalLogInterval);
    }

    /** Binds {@code settings.address()}; refuses certificates, keys or a CA that cannot be read, naming the flag. */
    public static ReceptiveListener start(ListenSettings settings, JsonLog log) throws InterruptedException {
        return start(settings, log, ReceptiveDefaults.REFUSAL_LOG_INTERVAL);
    }

    /** As above, logging a refused host at most once per {@code refusalLogInterval} (tests: zero, every refusal). */
    static ReceptiveListener start(ListenSettings settings, JsonLog log, Duration refusalLogInterval) throws InterruptedException {
        SslContext ssl = sslContext(settings);
        var listener = new ReceptiveListener(log, refusalLogInterval);
        try {
            listener.localServer = new ServerBootstrap().group(listener.local).channel(LocalServerChannel.class)
                    .childOption(ChannelOption.AUTO_READ, false)
                    .childHandler(new ChannelInitializer<LocalChannel>() {
                        @Override
                        protected void initChannel(LocalChannel ch) {
                            listener.pairing.grpc(ch);
                        }
                    })
                    .bind(listener.address).sync().channel();
            listener.tls = new NettyListener(settings.address(), ReceptiveDefaults.CONNECTIONS_PER_ADDRESS, ssl, ch -> {
                ch.pipeline().get(SslHandler.class).setHandshakeTimeout(ReceptiveDefaults.HANDSHAKE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                ch.pipeline().addLast(listener.new Handshake());
            });
        } catch (InterruptedException | RuntimeException e) {
            listener.close();
            throw e;
        }
        log.info("listening for KAS", Map.of("listen", settings.address().toString(), "port", listener.port()));
        return listener;
    }

    private static SslContext sslContext(ListenSettings settings) {
        try {
            return SslContextBuilder.forServer(settings.certificateFile(), settings.keyFile())
                    .trustManager(settings.clientCaFile())
                    .clientAuth(ClientAuth.REQUIRE)
                    .build();
        } catch (Exception e) {
            throw new IllegalArgumentException("cannot listen for KAS with --listen-cert " + settings.certificateFile() + ", --listen-key "
                    + settings.keyFile() + " and --listen-client-ca " + settings.clientCaFile() + " (PEM certificate, its key, and the CA of"
                    + " KAS's client certificate): " + Causes.describe(e), e);
        }
    }

    /** Where the agent's gRPC channel for this listener dials (in this process only). */
    public LocalAddress address() {
        return address;
    }

    /** The event loops that channel must run on (a local address is reached from the same kind of loop only). */
    public EventLoopGroup eventLoops() {
        return local;
    }

    /** The port KAS dials. */
    public int port() {
        return tls.port();
    }

    /**
     * {@code kasWaiting} runs when KAS connected and the channel has no connection attempt waiting (it may be backing
     * off after KAS was away): the agent makes it retry now.
     */
    public void onKasWaiting(Runnable kasWaiting) {
        pairing.onKasWaiting(kasWaiting);
    }

    /** After TLS: a caller that did not prove itself KAS is logged and closed; KAS's connection waits for the channel. */
    private final class Handshake extends TlsHandshake {
        @Override
        protected void succeeded(ChannelHandlerContext ctx) {
            ctx.pipeline().remove(this);
            pairing.kas(ctx.channel());
        }

        @Override
        protected void failed(ChannelHandlerContext ctx, Throwable cause) {
            refusals.refused(ctx.channel().remoteAddress(), "tls handshake", Map.of("error", Causes.describe(cause)));
        }
    }

    @Override
    public void close() {
        if (tls != null) tls.close();
        if (localServer != null) localServer.close().syncUninterruptibly();
        local.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    }
}
