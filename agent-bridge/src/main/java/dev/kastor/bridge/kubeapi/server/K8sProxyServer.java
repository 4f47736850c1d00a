package dev.kastor.bridge.kubeapi.server;

import dev.kastor.bridge.kubeapi.KubeApiDefaults;
import dev.kastor.bridge.listener.ConnectionsPerAddress;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.bridge.observability.ProxyMetrics;
import dev.kastor.bridge.tunnel.server.TunnelFinder;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** The k8s proxy: CI jobs' Kubernetes API requests come in here (HTTP or HTTPS) and go out through agent tunnels. */
public final class K8sProxyServer implements AutoCloseable {
    static final String CODEC = "http";

    private final EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final EventLoopGroup workers = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
    private final ExecutorService requests = Executors.newVirtualThreadPerTaskExecutor();
    private final Channel channel;

    public K8sProxyServer(InetSocketAddress listen, SslContext tls, String prefix, JobAuthorizer authorizer, TunnelFinder tunnels,
                          ProxyMetrics metrics, JsonLog log, ProxyLimits limits) throws InterruptedException {
        var context = new ProxyContext(prefix, authorizer, tunnels, metrics, log, limits,
                new JobShares(limits.streamsPerJob(), limits.streamsPerAddress()));
        var connections = new ConnectionsPerAddress(limits.connectionsPerAddress());
        channel = new ServerBootstrap().group(boss, workers).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(connections);
                        if (tls != null) ch.pipeline().addLast(tls.newHandler(ch.alloc()));
                        ch.pipeline().addLast(CODEC, new HttpServerCodec(new HttpDecoderConfig()
                                .setMaxInitialLineLength(KubeApiDefaults.MAX_REQUEST_HEAD).setMaxHeaderSize(KubeApiDefaults.MAX_REQUEST_HEAD)));
                        ch.pipeline().addLast(new ProxyHandler(context, requests));
                    }
                })
                .bind(listen).sync().channel();
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        boss.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS);
        requests.shutdownNow();
    }
}
