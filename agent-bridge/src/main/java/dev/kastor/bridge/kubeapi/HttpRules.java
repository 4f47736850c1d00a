package dev.kastor.bridge.kubeapi;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The HTTP rules both halves of the k8s proxy follow when a message crosses a hop (client → KAS, agent → API server,
 * and the answers back), in one place (GitLab's agent: {@code internal/tool/httpz}).
 */
public final class HttpRules {
    private HttpRules() {}

    /** Hop-by-hop headers (RFC 9110 7.6.1), with the obsolete {@code Keep-Alive} and {@code Proxy-Connection}. */
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-connection", "proxy-authenticate",
            "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade");

    /**
     * The headers a message's {@code Connection} values name (lower case): they belong to this hop only and must not
     * be forwarded (RFC 9110 7.6.1), whatever their name.
     */
    public static Set<String> connectionOptions(List<String> connectionValues) {
        var names = new HashSet<String>();
        for (String value : connectionValues) {
            for (String token : value.split(",")) {
                String t = token.strip().toLowerCase(Locale.ROOT);
                if (!t.isEmpty()) names.add(t);
            }
        }
        return names;
    }

    /** Whether {@code Upgrade} is present and {@code Connection} names it: the client asks to switch protocols. */
    public static boolean isUpgrade(boolean hasUpgradeHeader, List<String> connectionValues) {
        return hasUpgradeHeader && connectionOptions(connectionValues).contains("upgrade");
    }

    /**
     * Whether header {@code name} ends at this hop: hop-by-hop, or named by the message's {@code Connection}. An
     * upgrade keeps {@code Connection} and {@code Upgrade}, which the next hop needs to switch protocols too.
     *
     * @param name              the header's name, any case
     * @param connectionOptions {@link #connectionOptions} of the message
     */
    public static boolean endsAtHop(String name, Set<String> connectionOptions, boolean upgrade) {
        String lower = name.toLowerCase(Locale.ROOT);
        if (upgrade && (lower.equals("connection") || lower.equals("upgrade"))) return false;
        return HOP_BY_HOP.contains(lower) || connectionOptions.contains(lower);
    }
}
