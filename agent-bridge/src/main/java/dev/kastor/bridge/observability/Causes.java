package dev.kastor.bridge.observability;

import java.nio.file.FileSystemException;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * A failure in words for a log line or an error message, never {@code "null"}: many JDK exceptions carry no message
 * (the HttpClient's {@code ConnectException} for a refused or unresolvable address, {@code ClosedChannelException},
 * {@code UnresolvedAddressException}), so {@code e.getMessage()} alone prints {@code null}. The caller names the
 * address or file; this names what went wrong.
 */
public final class Causes {
    private Causes() {}

    /**
     * The throwable's message, or its kind (class simple name) when it has none; then the first message of its cause
     * chain that it does not already say, or, when no cause has a message, the kind of the root cause. A wrapper whose
     * message is only its cause's {@code toString()} (as {@code new RuntimeException(cause)} makes) is skipped.
     * A {@code FileSystemException} ({@code NoSuchFileException}, {@code AccessDeniedException}, ...) gives its kind
     * and reason but not its file, which is all its message holds: the caller says which file. Examples:
     * {@code ConnectException (ClosedChannelException)}, {@code ConnectException (UnresolvedAddressException)},
     * {@code NoSuchFileException}, {@code Failed to bind to address /0.0.0.0:8150: bind(..) failed: Address already in use}.
     */
    public static String describe(Throwable t) {
        if (t == null) return "unknown error";
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        while (t.getCause() != null && t.getCause() != t && isWrapper(t)) {
            if (!seen.add(t)) break;
            t = t.getCause();
        }
        String head = head(t);
        Throwable root = t;
        seen.clear();
        seen.add(t);
        for (Throwable c = t.getCause(); c != null && seen.add(c); c = c.getCause()) {
            root = c;
            String m = message(c);
            if (m != null && !head.contains(m)) return head + ": " + m;
            if (m != null) return head; // the head already says it
        }
        if (root != t && !kind(root).equals(kind(t))) return head + " (" + kind(root) + ")";
        return head;
    }

    /** Whether {@code t} only wraps its cause: its message is the one {@code new X(cause)} gives it. */
    private static boolean isWrapper(Throwable t) {
        String m = message(t);
        return m != null && (m.equals(t.getCause().toString()) || m.equals(t.getCause().getClass().getName()));
    }

    /** The throwable's own part: its message, or its kind; for a file error its kind and reason (the caller names the file). */
    private static String head(Throwable t) {
        if (t instanceof FileSystemException f) return f.getReason() == null ? kind(t) : kind(t) + ": " + f.getReason();
        return message(t) != null ? message(t) : kind(t);
    }

    private static String message(Throwable t) {
        String m = t.getMessage();
        return m == null || m.isBlank() ? null : m.strip();
    }

    private static String kind(Throwable t) {
        String name = t.getClass().getSimpleName();
        return name.isEmpty() ? t.getClass().getName() : name;
    }
}
