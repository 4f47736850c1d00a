package dev.kastor.bridge.kascfg;

import dev.kastor.bridge.routing.RoutingDefaults;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Where the other replicas reach this one's private API, as GitLab's KAS finds it: {@code own_private_api_url} (or env
 * {@code OWN_PRIVATE_API_URL}), else discovered. {@code OWN_PRIVATE_API_CIDR} names the network (IPv4 or IPv6) whose
 * address of this host to use; exactly one must match, for a guess among several would route replicas wrong.
 * {@code OWN_PRIVATE_API_PORT} defaults to the private API listener's port, {@code OWN_PRIVATE_API_SCHEME} to
 * {@code grpcs} when that listener has a certificate, else {@code grpc}. {@code OWN_PRIVATE_API_HOST} (or
 * {@code own_private_api_host}) is the name the others verify this replica's certificate against.
 */
final class OwnPrivateApi {
    static final String URL_ENV = RoutingDefaults.OWN_PRIVATE_API_URL_ENV;
    static final String CIDR_ENV = "OWN_PRIVATE_API_CIDR";
    static final String PORT_ENV = "OWN_PRIVATE_API_PORT";
    static final String SCHEME_ENV = "OWN_PRIVATE_API_SCHEME";
    static final String HOST_ENV = "OWN_PRIVATE_API_HOST";
    /** Literal addresses only: a name in a CIDR would be looked up in DNS at start. */
    /** A DNS name or an address as a certificate names it: no scheme, port, path or spaces. */
    private static final Pattern HOST_NAME = Pattern.compile("[A-Za-z0-9_.-]+");
    private static final Pattern LITERAL = Pattern.compile("[0-9.]+|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

    private OwnPrivateApi() {}

    /** The URL, or null when neither the file nor the environment gives one (a single node). */
    static String resolve(String fromFile, Map<String, String> env, KasConfig.Address listener, Supplier<List<InetAddress>> hostAddresses) {
        String url = fromFile != null ? blankToNull(fromFile) : blankToNull(env.get(URL_ENV));
        String cidr = blankToNull(env.get(CIDR_ENV));
        if (url != null && cidr != null) {
            throw new IllegalArgumentException("both own_private_api_url (or " + URL_ENV + ") and " + CIDR_ENV + " are given: give one");
        }
        if (cidr == null) {
            if (url == null && (env.get(PORT_ENV) != null || env.get(SCHEME_ENV) != null)) {
                throw new IllegalArgumentException(PORT_ENV + " and " + SCHEME_ENV + " complete " + CIDR_ENV + ": give it too (the network of this"
                        + " host's address the other replicas reach, e.g. 10.0.0.0/8)");
            }
            return url;
        }
        if (listener.isUnix()) {
            throw new IllegalArgumentException(CIDR_ENV + " finds a TCP address, but listen.private_api is the UNIX socket " + listener.address()
                    + ": unset " + CIDR_ENV + " and give " + URL_ENV + "=unix://" + listener.address() + " (replicas on this host share it)");
        }
        InetAddress host = pick(cidr, hostAddresses.get());
        String h = host instanceof Inet6Address ? "[" + host.getHostAddress().replaceAll("%.*$", "") + "]" : host.getHostAddress();
        return scheme(env.get(SCHEME_ENV), listener) + "://" + h + ":" + port(env.get(PORT_ENV), listener);
    }

    /**
     * The TLS server name the other replicas verify when they dial {@code url} ({@code own_private_api_host}, or env
     * {@code OWN_PRIVATE_API_HOST}), or null to verify the URL's own host. It goes to Redis with the URL, since only
     * this replica knows what its certificate names. Refused with a URL that has no TLS to verify.
     */
    static String host(String fromFile, Map<String, String> env, String url) {
        String host = fromFile != null ? blankToNull(fromFile) : blankToNull(env.get(HOST_ENV));
        if (host == null) return null;
        if (url == null || !url.startsWith("grpcs://")) {
            throw new IllegalArgumentException(HOST_ENV + " (own_private_api_host) is the TLS server name other replicas verify, but the private"
                    + " API URL " + (url == null ? "is not given" : url + " has no TLS") + ": unset " + HOST_ENV + ", or give a grpcs:// URL");
        }
        if (!HOST_NAME.matcher(host).matches()) {
            throw new IllegalArgumentException(HOST_ENV + " must be a host name like kas-0.kas.example.internal (what the private API's"
                    + " certificate names), got " + host);
        }
        return host;
    }

    /** The one address of {@code addresses} inside {@code cidr}. */
    static InetAddress pick(String cidr, List<InetAddress> addresses) {
        int slash = cidr.indexOf('/');
        String base = slash < 0 ? "" : cidr.substring(0, slash).trim();
        int bits;
        InetAddress network;
        try {
            bits = Integer.parseInt(cidr.substring(slash + 1).trim());
            if (!LITERAL.matcher(base).matches()) throw new UnknownHostException(base);
            network = InetAddress.getByName(base);
        } catch (NumberFormatException | UnknownHostException | StringIndexOutOfBoundsException e) {
            throw new IllegalArgumentException(CIDR_ENV + " must be a network like 10.0.0.0/8 or fd00::/64, got " + cidr);
        }
        int width = network.getAddress().length * 8;
        if (slash < 0 || bits < 0 || bits > width) {
            throw new IllegalArgumentException(CIDR_ENV + " must be a network like 10.0.0.0/8 or fd00::/64 (prefix 0 to " + width + "), got " + cidr);
        }
        List<InetAddress> inside = addresses.stream().filter(a -> within(a, network, bits)).toList();
        if (inside.size() == 1) return inside.getFirst();
        List<String> all = addresses.stream().map(InetAddress::getHostAddress).toList();
        throw new IllegalArgumentException(inside.isEmpty()
                ? CIDR_ENV + " " + cidr + " holds none of this host's addresses " + all + ": give the network of the address the other replicas reach"
                : CIDR_ENV + " " + cidr + " holds several of this host's addresses " + inside.stream().map(InetAddress::getHostAddress).toList()
                        + ": give a narrower network, or " + URL_ENV);
    }

    private static boolean within(InetAddress a, InetAddress network, int bits) {
        byte[] x = a.getAddress();
        byte[] n = network.getAddress();
        if (x.length != n.length) return false;
        for (int i = 0; i < bits; i++) {
            int mask = 0x80 >>> (i % 8);
            if ((x[i / 8] & mask) != (n[i / 8] & mask)) return false;
        }
        return true;
    }

    private static String scheme(String given, KasConfig.Address listener) {
        if (given == null) return listener.certificateFile() != null ? "grpcs" : "grpc";
        if (!given.equals("grpc") && !given.equals("grpcs")) {
            throw new IllegalArgumentException(SCHEME_ENV + " must be grpc or grpcs, got " + given);
        }
        return given;
    }

    private static int port(String given, KasConfig.Address listener) {
        String p = given != null ? given : listener.address().substring(listener.address().lastIndexOf(':') + 1);
        int port;
        try {
            port = Integer.parseInt(p.trim());
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(given != null ? PORT_ENV + " must be a port from 1 to 65535, got " + given
                    : "the private API listens on " + listener.address() + ", which names no fixed port: give " + PORT_ENV);
        }
        return port;
    }

    /** Every address of this host's interfaces that are up. */
    static List<InetAddress> hostAddresses() {
        List<InetAddress> all = new ArrayList<>();
        try {
            for (NetworkInterface i : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (i.isUp()) all.addAll(Collections.list(i.getInetAddresses()));
            }
        } catch (SocketException e) {
            throw new IllegalArgumentException("cannot list this host's addresses for " + CIDR_ENV + ": " + e.getMessage(), e);
        }
        return all;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
