package dev.kastor.bridge.kubeapi.server;

import dev.kastor.bridge.kubeapi.KubeApiDefaults;
import dev.kastor.bridge.listener.NettyListener;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.bridge.observability.ProxyMetrics;
import dev.kastor.bridge.tunnel.server.TunnelFinder;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import java.net.SocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** The k8s proxy: CI jobs' Kubernetes API requests come in here (HTTP or HTTPS) and go out through agent tunnels. */
public final class K8sProxyServer implements AutoCloseable {
    static final String CODEC = "http";

    private final ExecutorService requests = Executors.newVirtualThreadPerTaskExecutor();
    private final NettyListener listener;

    public K8sProxyServer(SocketAddress listen, SslContext tls, String prefix, JobAuthorizer authorizer, TunnelFinder tunnels,
                          ProxyMetrics metrics, JsonLog log, ProxyLimits limits) throws InterruptedException {
        var context = new ProxyContext(prefix, authorizer, tunnels, metrics, log, limits,
                new JobShares(limits.streamsPerJob(), limits.streamsPerAddress()));
        listener = new NettyListener(listen, limits.connectionsPerAddress(), tls, ch -> {
            ch.pipeline().addLast(CODEC, new HttpServerCodec(new HttpDecoderConfig()
                    .setMaxInitialLineLength(KubeApiDefaults.MAX_REQUEST_HEAD).setMaxHeaderSize(KubeApiDefaults.MAX_REQUEST_HEAD)));
            ch.pipeline().addLast(new ProxyHandler(context, requests));
        });
    }

    /** The TCP port bound; refused for a UNIX socket ({@link #address}). */
    public int port() {
        return listener.port();
    }

    public SocketAddress address() {
        return listener.address();
    }

    @Override
    public void close() {
        listener.close();
        requests.shutdownNow();
    }
}
