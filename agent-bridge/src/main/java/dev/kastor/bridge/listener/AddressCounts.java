package dev.kastor.bridge.listener;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Open connections per client host, for one listener: each connection holds a file descriptor, and one host must not
 * take them all (KAS's other clients would then time out connecting). Thread-safe; one instance per listener.
 */
public final class AddressCounts {
    private final int limit;
    private final ConcurrentHashMap<String, Integer> open = new ConcurrentHashMap<>();

    public AddressCounts(int limit) {
        if (limit < 1) throw new IllegalArgumentException("a per-address connection limit must be at least 1, got " + limit);
        this.limit = limit;
    }

    /**
     * Counts a new connection from {@code host}; false when that host already holds {@code limit} (the caller closes
     * the connection). Counted either way: the caller calls {@link #closed} for every connection it passed here.
     */
    public boolean opened(String host) {
        return open.merge(host, 1, Integer::sum) <= limit;
    }

    public void closed(String host) {
        open.computeIfPresent(host, (k, n) -> n <= 1 ? null : n - 1);
    }

    /** Who every peer of a UNIX socket counts as. */
    public static final String LOCAL = "local";

    /**
     * The client's host without its port (a client opens every connection from a new port). A UNIX socket's peers
     * have no address: they are processes of this host that the socket file's mode lets in, most often one front
     * proxy. They count as one host, so the bound still stops one runaway local client from taking every file
     * descriptor, as it does for many clients behind one NAT or proxy on TCP.
     */
    public static String host(SocketAddress remote) {
        if (remote instanceof UnixDomainSocketAddress) return LOCAL;
        return remote instanceof InetSocketAddress a && a.getAddress() instanceof InetAddress ip ? ip.getHostAddress() : "unknown";
    }
}
