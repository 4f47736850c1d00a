package dev.kastor.bridge.listener;

import dev.kastor.bridge.kascfg.KasConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;

/** How a {@code listen} section of the KAS configuration becomes a socket address and a server TLS context. */
public final class ListenAddresses {
    private ListenAddresses() {}

    /**
     * The address to bind: {@code host:port} (TCP), or a UNIX socket's path, made ready to bind ({@link UnixSocketFile}).
     *
     * @param section the configuration key, for errors (e.g. {@code listen.private_api})
     */
    public static SocketAddress address(KasConfig.Address listen, String section) {
        if (listen.isUnix()) return UnixSocketFile.prepare(Path.of(listen.address()), section + ".address");
        return inet(listen.address(), section);
    }

    /** {@code host:port}, {@code [v6]:port} or {@code :port} (every interface) as a socket address. */
    public static InetSocketAddress inet(String hostPort, String section) {
        int colon = hostPort.lastIndexOf(':');
        if (colon < 0) throw new IllegalArgumentException(section + " address " + hostPort + " has no port (host:port)");
        String host = hostPort.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
        return new InetSocketAddress(host.isEmpty() ? "0.0.0.0" : host, Integer.parseInt(hostPort.substring(colon + 1)));
    }

    /** Call once {@code listen} is bound: a UNIX socket's file is restricted to KAS's user and group (mode 0660). */
    public static void bound(SocketAddress listen) {
        UnixSocketFile.restrict(listen);
    }

    /**
     * The port a bound listener got (tests bind port 0). A UNIX socket has none: rather than a number that would be
     * dialled by mistake, this says so (its path is its address).
     */
    public static int port(SocketAddress bound) {
        if (bound instanceof InetSocketAddress inet) return inet.getPort();
        String path = bound instanceof UnixDomainSocketAddress unix ? unix.getPath().toString() : String.valueOf(bound);
        throw new IllegalStateException("the listener is the UNIX socket " + path + ", which has no port: use its address");
    }

    /** A bound address as a log shows it: {@code host:port}, or a UNIX socket's path. */
    public static String describe(SocketAddress bound) {
        if (bound instanceof InetSocketAddress inet) return inet.getHostString() + ":" + inet.getPort();
        return bound instanceof UnixDomainSocketAddress unix ? unix.getPath().toString() : String.valueOf(bound);
    }

    /** The server TLS context of a listener with a certificate and key, or null for plain TCP. */
    public static SslContext tls(KasConfig.Address listen) throws IOException {
        if (listen.certificateFile() == null) return null;
        return SslContextBuilder.forServer(new File(listen.certificateFile()), new File(listen.keyFile())).build();
    }
}
