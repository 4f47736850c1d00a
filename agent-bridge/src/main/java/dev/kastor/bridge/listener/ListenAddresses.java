package dev.kastor.bridge.listener;

import dev.kastor.bridge.kascfg.KasConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;

/** How a {@code listen} section of the KAS configuration becomes a socket address and a server TLS context. */
public final class ListenAddresses {
    private ListenAddresses() {}

    /**
     * {@code host:port}, {@code [v6]:port} or {@code :port} (every interface) as a socket address.
     *
     * @param section the configuration key, for the error (e.g. {@code listen.private_api})
     */
    public static InetSocketAddress address(String hostPort, String section) {
        int colon = hostPort.lastIndexOf(':');
        if (colon < 0) throw new IllegalArgumentException(section + " address " + hostPort + " has no port (host:port)");
        String host = hostPort.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
        return new InetSocketAddress(host.isEmpty() ? "0.0.0.0" : host, Integer.parseInt(hostPort.substring(colon + 1)));
    }

    /** The server TLS context of a listener with a certificate and key, or null for plain TCP. */
    public static SslContext tls(KasConfig.Address listen) throws IOException {
        if (listen.certificateFile() == null) return null;
        return SslContextBuilder.forServer(new File(listen.certificateFile()), new File(listen.keyFile())).build();
    }
}
