package dev.kastor.bridge.routing.server;

import java.net.URI;

/**
 * How a replica advertises its private API in the tracker: its URL, and the TLS server name the others verify instead
 * of the URL's host ({@code OWN_PRIVATE_API_HOST}), or null. Only that replica knows what its certificate names, so
 * the name travels with the URL, in the one string that is the tracker's hash field and the replica's name in the
 * private API's tokens: the URL alone without a server name, exactly as replicas before this wrote it, else
 * {@code grpcs://host:port?server_name=name} (a query older replicas leave out when they dial).
 */
record PrivateApiAddress(String url, String serverName) {
    private static final String SERVER_NAME = "?server_name=";

    /** What a replica advertised ({@link #advertised}), or an older replica's bare URL. */
    static PrivateApiAddress parse(String advertised) {
        int at = advertised.indexOf(SERVER_NAME);
        if (at < 0) return new PrivateApiAddress(advertised, null);
        return new PrivateApiAddress(advertised.substring(0, at), advertised.substring(at + SERVER_NAME.length()));
    }

    String advertised() {
        return serverName == null ? url : url + SERVER_NAME + serverName;
    }

    URI uri() {
        return URI.create(url);
    }
}
