package dev.kastor.oci;

import java.io.EOFException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.UnresolvedAddressException;
import java.util.ArrayList;
import java.util.List;

/**
 * A failure's cause in words, for the end of a message ({@code "cannot reach GitLab at URL: " + describe(e)}), never
 * the word {@code null}. Many exceptions carry no message: the JDK's HttpClient throws {@code ConnectException} with
 * none for a refused connection or an unknown host (the kind is in its cause), {@code EOFException} and
 * {@code ClosedChannelException} usually have none either.
 */
public final class Causes {
    /** Exceptions that say what happened by their kind alone, most telling first (an unknown host also fails the connect). */
    private record Kind(Class<? extends Throwable> type, String words) {}

    private static final List<Kind> KINDS = List.of(
            new Kind(UnresolvedAddressException.class, "host name not found"),
            new Kind(UnknownHostException.class, "host name not found"),
            new Kind(ConnectException.class, "connection refused"),
            new Kind(HttpTimeoutException.class, "timed out"),
            new Kind(SocketTimeoutException.class, "timed out"),
            new Kind(EOFException.class, "the data ended early"),
            new Kind(ClosedChannelException.class, "connection closed"));

    private static final int MAX_DEPTH = 16;

    private Causes() {}

    /**
     * The exception's own message when it has one; else what its kind (or a kind in its causes) means, with the kind
     * named ({@code connection refused (ConnectException)}); else a cause's message after the kind; else the kind.
     */
    public static String describe(Throwable e) {
        if (e == null) return "no cause given";
        if (hasText(e.getMessage())) return e.getMessage();
        List<Throwable> chain = chain(e);
        for (Kind kind : KINDS) {
            for (Throwable c : chain) {
                if (kind.type().isInstance(c)) {
                    return (hasText(c.getMessage()) ? c.getMessage() : kind.words()) + " (" + c.getClass().getSimpleName() + ")";
                }
            }
        }
        for (Throwable c : chain) {
            if (hasText(c.getMessage())) return e.getClass().getSimpleName() + ": " + c.getMessage();
        }
        return e.getClass().getSimpleName();
    }

    /** {@code e} and its causes, at most {@link #MAX_DEPTH}: a cycle of causes must not hang a message. */
    private static List<Throwable> chain(Throwable e) {
        var chain = new ArrayList<Throwable>();
        for (Throwable c = e; c != null && chain.size() < MAX_DEPTH; c = c.getCause()) chain.add(c);
        return chain;
    }

    private static boolean hasText(String s) {
        return s != null && !s.isBlank();
    }
}
